"""Report pages, exports, drill-through lists, indicators and month close.
Thin views: parameters → selector or service → render. Every page answers
404 to a user without the role or outside the region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.audit.services import client_ip
from pims.regions.selectors import access_region, region_ancestors
from pims.web.errors import refusals_as_messages

from . import exports, indicators, selectors, services
from .closes import close_list_visible_to
from .forms import current_preset, params_query, parse_params, preset_choices
from .reports import REPORTS
from .reports.base import cell_target


def register_nav() -> None:
    """Menu entries of the 统计分析 module; called from StatsConfig.ready()."""
    from pims.accounts.roles import Cap
    from pims.web.modules import Item, register_item

    register_item(
        "stats", Item(_("统计报表"), "stats:index", Cap.VIEW_REPORTS, _("标准统计报表：按区划逐级汇总、可下钻、可导出"))
    )
    register_item(
        "stats",
        Item(_("人口指标"), "stats:indicators_home", Cap.VIEW_REPORTS, _("出生率、死亡率、生育率、抚养比等指标及公式")),
    )
    register_item(
        "stats", Item(_("月结"), "stats:close_list", Cap.COUNTY_ADMIN, _("变更单审核完毕后关闭统计月份，冻结月度数字"))
    )


def _require_reports(user):
    if not selectors.can_view_reports(user):
        raise Http404


@login_required
def index(request):
    _require_reports(request.user)
    annual = REPORTS["monitoring"]
    context = {
        "reports": REPORTS.values(),
        "code": request.user.region.code,
        "annual": annual,
        "annual_preset": current_preset(annual.default_preset),
    }
    return render(request, "stats/index.html", context)


@login_required
def report_home(request, report):
    _require_reports(request.user)
    if report not in REPORTS:
        raise Http404
    url = reverse("stats:report", args=[report, request.user.region.code])
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


def _cells(result, report, base_query: dict, drill_url: str, can_drill: bool):
    """Per section: rows of (row, [(text, link or None)])."""
    out = []
    for section in result.sections:
        rows = []
        for row in section.all_rows():
            cells = []
            for col in section.columns:
                value = row.values.get(col.key)
                link = None
                target = cell_target(report, section, row, col) if can_drill else None
                if target and value:
                    q = {**base_query, "m": target[0]}
                    if target[1]:
                        q["row"] = target[1]
                    link = f"{drill_url}?{urlencode(q)}"
                cells.append((col.format(value), link, col.key))
            rows.append((row, cells))
        out.append((section, rows))
    return out


@login_required
def report_view(request, report, code):
    definition = REPORTS.get(report)
    if definition is not None and definition.default_preset and not request.GET:
        params, errors = parse_params({"preset": current_preset(definition.default_preset)})
    else:
        params, errors = parse_params(request.GET)
    user = request.user
    result = selectors.report_run(user=user, key=report, code=code, params=params)
    definition = REPORTS[report]
    query = params_query(params)
    drill_url = reverse("stats:drill", args=[report, code])
    return render(
        request,
        "stats/report.html",
        {
            "report": definition,
            "result": result,
            "params": params,
            "errors": errors,
            "query": urlencode(query),
            "sections": _cells(result, definition, query, drill_url, selectors.can_drill(user)),
            "ancestors": [r for r in region_ancestors(result.region) if r.code.startswith(user.region.prefix)],
            "can_export": selectors.can_export(user),
            "reports": REPORTS.values(),
            "presets": preset_choices(),
        },
    )


@login_required
def report_export(request, report, code, fmt):
    if fmt not in exports.FORMATS:
        raise Http404
    params, _errors = parse_params(request.GET)
    user = request.user
    if not selectors.can_export(user):
        raise Http404
    result = selectors.report_run(user=user, key=report, code=code, params=params)
    content, content_type, filename = exports.render(result, fmt, user=user)
    services.export_audit(actor=user, result=result, fmt=fmt, ip=client_ip(request))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(filename)
    return response


@login_required
def drill_view(request, report, code):
    params, errors = parse_params(request.GET)
    measure = (request.GET.get("m") or "").strip()
    row = (request.GET.get("row") or "").strip()
    qs, frame = selectors.drill_records(
        user=request.user, key=report, code=code, params=params, measure=measure, row=row
    )
    definition = REPORTS[report]
    label = definition.measures(frame)[measure].label
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    row_region = frame.children.get(row) if row else None
    return render(
        request,
        "stats/drill.html",
        {
            "report": definition,
            "frame": frame,
            "label": label,
            "row_label": (row_region.name if row_region else frame.row_label(row)) if row else frame.region.name,
            "page": page,
            "count": page.paginator.count,
            "model": qs.model._meta.label_lower,
            "back": reverse("stats:report", args=[report, code]) + "?" + urlencode(params_query(params)),
            "query": urlencode({**params_query(params), "m": measure, "row": row}),
            "errors": errors,
        },
    )


@login_required
def indicators_home(request):
    _require_reports(request.user)
    url = reverse("stats:indicators", args=[request.user.region.code])
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


@login_required
def indicators_view(request, code):
    _require_reports(request.user)
    params, errors = parse_params(request.GET)
    region = access_region(request.user, code)
    table = indicators.indicators_by_child(user=request.user, region=region, params=params)
    return render(
        request,
        "stats/indicators.html",
        {
            "table": table,
            "rows": _formatted(table.section),
            "asfr_rows": _formatted(table.asfr),
            "region": region,
            "params": params,
            "errors": errors,
            "query": urlencode(params_query(params)),
            "definitions": indicators.DEFINITIONS,
            "ancestors": [r for r in region_ancestors(region) if r.code.startswith(request.user.region.prefix)],
        },
    )


def _formatted(section):
    return [(row, [(c.format(row.values.get(c.key)), c.key) for c in section.columns]) for row in section.all_rows()]


# --- month close ---------------------------------------------------------------


def _require_closer(user):
    if not services.can_close(user):
        raise Http404


@login_required
def close_list(request):
    _require_closer(request.user)
    return render(
        request,
        "stats/close_list.html",
        {"closes": close_list_visible_to(user=request.user)[:60], "county": request.user.region},
    )


@login_required
@require_POST
def close_create(request):
    _require_closer(request.user)
    period = (request.POST.get("period") or "").strip()
    with refusals_as_messages(request):
        close = services.month_close(
            actor=request.user,
            region=request.user.region,
            period=period,
            override_reason=request.POST.get("override_reason", ""),
        )
        messages.success(
            request, _("%(region)s %(period)s 已月结。") % {"region": close.region.name, "period": close.period}
        )
        if close.missing_villages:
            messages.warning(
                request,
                _("本次月结时以下村未报送信息变更单，已记入审计日志：%(villages)s")
                % {"villages": "、".join(v["name"] for v in close.missing_villages)},
            )
    return redirect("stats:close_list")


@login_required
@require_POST
def close_reopen(request, pk):
    _require_closer(request.user)
    try:
        close = close_list_visible_to(user=request.user).get(pk=pk)
    except (ValueError, TypeError, services.MonthClose.DoesNotExist):
        raise Http404 from None
    with refusals_as_messages(request):
        services.month_reopen(actor=request.user, close=close, reason=request.POST.get("reason", ""))
        messages.success(request, _("%(period)s 的月结已撤销。") % {"period": close.period})
    return redirect("stats:close_list")
