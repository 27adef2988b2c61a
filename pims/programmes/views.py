"""Pages of the programmes: the cycles, a cycle's lists and actions per
level, the 公示 PDF, the 名册 Excel, the county's stop queue, the change
list and a person's eligibility. Thin: rules in services/selectors; every
page answers 404 to a user without the capability or outside the region."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_request
from pims.lib import clock
from pims.regions.scope import code_in_scope
from pims.registry.selectors import access_person
from pims.stats.exports import content_disposition
from pims.web.errors import refusals_as_messages

from . import eligibility, exports, health, selectors, services
from .models import FactKind, HealthService, HealthServiceKind, Programme, Stage, StopReason


def register_nav() -> None:
    from pims.web.modules import Item, register_item

    register_item(
        "services",
        Item(
            _("奖励扶助与特别扶助"), "programmes:index", Cap.VIEW_PROGRAMMES, _("年度资格确认、公示、审核、名册和停发")
        ),
    )


def _require(user, cap: str = Cap.VIEW_PROGRAMMES) -> None:
    if not has_capability(user, cap):
        raise Http404


@login_required
def index(request):
    _require(request.user)
    cycles = selectors.cycle_list_visible_to(user=request.user)
    context = {
        "cycles": cycles,
        "programmes": Programme.choices,
        "can_open": has_capability(request.user, Cap.PROGRAMME_COUNTY),
        "year": clock.today().year,
    }
    return render(request, "programmes/index.html", context)


@login_required
@require_POST
def cycle_open(request):
    _require(request.user, Cap.PROGRAMME_COUNTY)
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = 0
    with refusals_as_messages(request):
        cycle = services.cycle_open(actor=request.user, programme=request.POST.get("programme", ""), year=year)
        messages.success(request, _("已开始，资格判定在后台进行。"))
        return redirect("programmes:cycle", pk=cycle.pk)
    return redirect("programmes:index")


@login_required
def cycle_detail(request, pk):
    _require(request.user)
    cycle = selectors.access_cycle(request.user, pk)
    entries = selectors.entry_list_visible_to(user=request.user, cycle=cycle)
    user = request.user
    from pims.jobs.selectors import job_latest_for

    context = {
        "cycle": cycle,
        "counts": selectors.stage_counts(entries),
        "villages": selectors.village_counts(entries),
        "stages": Stage.choices,
        "job": job_latest_for(cycle),
        "can_village": has_capability(user, Cap.PROGRAMME_VILLAGE) and user.region.level == "village",
        "can_township": has_capability(user, Cap.PROGRAMME_TOWNSHIP),
        "can_county": has_capability(user, Cap.PROGRAMME_COUNTY) and code_in_scope(user, cycle.county_code),
        "rosters": cycle.rosters.all() if has_capability(user, Cap.PROGRAMME_COUNTY) else [],
    }
    return render(request, "programmes/cycle.html", context)


TABLE_FORMATS = {"xlsx": (exports.table_xlsx, exports.XLSX), "pdf": (exports.table_pdf, "application/pdf")}


def _table_response(request, table: exports.Table, fmt: str, *, obj, region_code: str, name: str, filename: str):
    """A list as Excel or PDF, audited as an export."""
    render_table, content_type = TABLE_FORMATS[fmt]
    data = render_table(table)
    audit_request(request, action=Action.EXPORT, obj=obj, region_code=region_code, detail={"list": name, "fmt": fmt})
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    return resp


@login_required
def entry_list(request, pk):
    _require(request.user)
    cycle = selectors.access_cycle(request.user, pk)
    entries = selectors.with_people(selectors.entry_list_visible_to(user=request.user, cycle=cycle))
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        entries = entries.filter(stage=stage)
    if request.GET.get("format") == "xlsx":
        data = exports.entries_xlsx(cycle, entries)
        audit_request(
            request, action=Action.EXPORT, obj=cycle, region_code=request.user.region.code, detail={"list": "entries"}
        )
        resp = HttpResponse(data, content_type=exports.XLSX)
        resp["Content-Disposition"] = content_disposition(f"对象名单-{cycle.year}.xlsx")
        return resp
    if request.GET.get("format") == "pdf":
        table = exports.entries_table(cycle, entries)
        code = request.user.region.code
        return _table_response(
            request, table, "pdf", obj=cycle, region_code=code, name="entries", filename=f"对象名单-{cycle.year}"
        )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    user = request.user
    context = {
        "cycle": cycle,
        "page": page,
        "stage": stage,
        "stages": Stage.choices,
        "can_village": has_capability(user, Cap.PROGRAMME_VILLAGE),
        "can_township": has_capability(user, Cap.PROGRAMME_TOWNSHIP),
        "open": cycle.state == cycle.State.OPEN,
    }
    return render(request, "programmes/entries.html", context)


ENTRY_ACTIONS = {
    "village_approve": lambda u, e, c: services.entry_village_review(actor=u, entry=e, approve=True, comment=c),
    "village_reject": lambda u, e, c: services.entry_village_review(actor=u, entry=e, approve=False, comment=c),
    "township_approve": lambda u, e, c: services.entry_township_review(actor=u, entry=e, approve=True, comment=c),
    "township_reject": lambda u, e, c: services.entry_township_review(actor=u, entry=e, approve=False, comment=c),
}


@login_required
@require_POST
def entry_action(request, pk, action):
    _require(request.user)
    entry = selectors.access_entry(request.user, pk)
    with refusals_as_messages(request):
        ENTRY_ACTIONS[action](request.user, entry, request.POST.get("comment", ""))
        messages.success(request, _("已办理。"))
    return redirect("programmes:entries", pk=entry.cycle_id)


@login_required
@require_POST
def notice_publish(request, pk):
    _require(request.user, Cap.PROGRAMME_VILLAGE)
    cycle = selectors.access_cycle(request.user, pk)
    with refusals_as_messages(request):
        notice = services.notice_publish(actor=request.user, cycle=cycle, village_code=request.user.region.code)
        messages.success(request, _("已公示，公示期至 %(d)s。") % {"d": notice.ends_on.isoformat()})
    return redirect("programmes:cycle", pk=cycle.pk)


@login_required
def notice_pdf(request, pk, village):
    _require(request.user)
    cycle = selectors.access_cycle(request.user, pk)
    if not code_in_scope(request.user, village):
        raise Http404
    data = exports.notice_pdf(cycle, village)
    audit_request(request, action=Action.EXPORT, obj=cycle, region_code=village, detail={"list": "notice"})
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition(f"公示名单-{cycle.year}-{village}.pdf")
    return resp


@login_required
@require_POST
def township_review(request, pk):
    _require(request.user, Cap.PROGRAMME_TOWNSHIP)
    cycle = selectors.access_cycle(request.user, pk)
    with refusals_as_messages(request):
        n = services.township_review_all(actor=request.user, cycle=cycle, comment=request.POST.get("comment", ""))
        messages.success(request, _("初审通过 %(n)d 人。") % {"n": n})
    return redirect("programmes:cycle", pk=cycle.pk)


@login_required
@require_POST
def cycle_confirm(request, pk):
    _require(request.user, Cap.PROGRAMME_COUNTY)
    cycle = selectors.access_cycle(request.user, pk)
    with refusals_as_messages(request):
        services.cycle_confirm(actor=request.user, cycle=cycle, comment=request.POST.get("comment", ""))
        messages.success(request, _("县级已确认，名单已锁定。"))
    return redirect("programmes:cycle", pk=cycle.pk)


@login_required
@require_POST
def roster_build(request, pk):
    _require(request.user, Cap.PROGRAMME_COUNTY)
    cycle = selectors.access_cycle(request.user, pk)
    with refusals_as_messages(request):
        roster = services.roster_build(actor=request.user, cycle=cycle)
        messages.success(request, _("已生成第 %(n)d 批名册。") % {"n": roster.number})
    return redirect("programmes:cycle", pk=cycle.pk)


@login_required
def roster_xlsx(request, pk):
    roster = selectors.access_roster(request.user, pk)
    data = exports.roster_xlsx(roster)
    audit_request(
        request, action=Action.EXPORT, obj=roster, region_code=roster.cycle.county_code, detail={"list": "roster"}
    )
    resp = HttpResponse(data, content_type=exports.XLSX)
    resp["Content-Disposition"] = content_disposition(f"名册-{roster.cycle.year}-{roster.number}.xlsx")
    return resp


@login_required
def roster_pdf(request, pk):
    roster = selectors.access_roster(request.user, pk)
    return _table_response(
        request,
        exports.roster_table(roster),
        "pdf",
        obj=roster,
        region_code=roster.cycle.county_code,
        name="roster",
        filename=f"名册-{roster.cycle.year}-{roster.number}",
    )


@login_required
@require_POST
def roster_paid(request, pk):
    roster = selectors.access_roster(request.user, pk)
    try:
        paid_on = dt.date.fromisoformat(request.POST.get("paid_on", ""))
    except ValueError:
        paid_on = clock.today()
    with refusals_as_messages(request):
        services.roster_paid(actor=request.user, roster=roster, paid_on=paid_on)
        messages.success(request, _("已登记发放。"))
    return redirect("programmes:cycle", pk=roster.cycle_id)


@login_required
def stop_queue(request, pk):
    _require(request.user, Cap.PROGRAMME_COUNTY)
    cycle = selectors.access_cycle(request.user, pk)
    if not code_in_scope(request.user, cycle.county_code):
        raise Http404
    pending, recorded = selectors.stops_pending(cycle), selectors.stops_recorded(cycle)
    fmt = request.GET.get("format", "")
    if fmt in TABLE_FORMATS:
        table = exports.stops_table(cycle, pending, list(recorded.select_related("entry__person", "by")))
        return _table_response(
            request,
            table,
            fmt,
            obj=cycle,
            region_code=cycle.county_code,
            name="stops",
            filename=f"停发名单-{cycle.year}",
        )
    return render(request, "programmes/stops.html", {"cycle": cycle, "pending": pending, "recorded": recorded})


@login_required
@require_POST
def stop_record(request, pk):
    _require(request.user, Cap.PROGRAMME_COUNTY)
    entry = selectors.access_entry(request.user, pk)
    reason = request.POST.get("reason", "")
    if reason not in StopReason.values:
        raise Http404
    with refusals_as_messages(request):
        services.stop_record(actor=request.user, entry=entry, reason=reason, detail=request.POST.get("detail", ""))
        messages.success(request, _("已停发。"))
    return redirect("programmes:stops", pk=entry.cycle_id)


@login_required
def change_list(request, pk):
    _require(request.user)
    cycle = selectors.access_cycle(request.user, pk)
    entries = selectors.entry_list_visible_to(user=request.user, cycle=cycle)
    rows = selectors.change_list(cycle, entries)
    fmt = request.GET.get("format", "")
    if fmt in TABLE_FORMATS:
        table = exports.changes_table(cycle, rows)
        code = request.user.region.code
        return _table_response(
            request, table, fmt, obj=cycle, region_code=code, name="changes", filename=f"年度变动名单-{cycle.year}"
        )
    return render(request, "programmes/changes.html", {"cycle": cycle, "rows": rows})


@login_required
def person_eligibility(request, pk):
    _require(request.user)
    person = access_person(request.user, pk)
    try:
        year = int(request.GET.get("year", clock.today().year))
    except ValueError:
        year = clock.today().year
    year = min(max(year, 2004), 2100)
    results = []
    for programme, label in Programme.choices:
        ctx = eligibility.Context.for_year(programme, year)
        results.append((label, eligibility.eligibility_of(programme, person, year=year), ctx.unverified()))
    context = {
        "person": person,
        "year": year,
        "results": results,
        "can_record": has_capability(request.user, Cap.RECORD_PROGRAMME_FACTS)
        and code_in_scope(request.user, person.registered_code),
        "fact_kinds": FactKind.choices,
        "facts": person.programme_facts.filter(withdrawn_at__isnull=True).order_by("-pk"),
    }
    return render(request, "programmes/person.html", context)


@login_required
@require_POST
def fact_new(request, pk):
    _require(request.user, Cap.RECORD_PROGRAMME_FACTS)
    person = access_person(request.user, pk)
    post = request.POST

    def day(name):
        try:
            return dt.date.fromisoformat(post.get(name, ""))
        except ValueError:
            return None

    with refusals_as_messages(request):
        services.fact_record(
            actor=request.user,
            person=person,
            kind=post.get("kind", ""),
            value=post.get("value", "").strip(),
            number=post.get("number", "").strip()[:40],
            valid_from=day("valid_from"),
            valid_to=day("valid_to"),
            source=post.get("source", "").strip()[:200] or "村级核实",
        )
        messages.success(request, _("已记录。"))
    return redirect("programmes:person", pk=person.pk)


# --- reproductive-health service lists (health data: audited, no village clerk) ---


def _health_rows(kind: str, qs) -> list[dict]:
    if kind == HealthServiceKind.CANCER_SCREENING:
        return [
            {
                "person": p,
                "who": p.name,
                "birth": p.birth_date,
                "id": p.id_masked,
                "code": p.responsible_code,
                "note": f"上次筛查 {p.last_service}" if p.last_service else "无筛查记录",
            }
            for p in qs
        ]
    return [
        {
            "person": m.wife,
            "who": f"{m.wife.name}（夫 {m.husband.name}）",
            "birth": m.wife.birth_date,
            "id": m.wife.id_masked,
            "code": m.wife.responsible_code,
            "order": getattr(m, "next_order", None),
            "note": f"结婚 {m.date}" if m.date else "",
        }
        for m in qs
    ]


@login_required
def health_lists(request):
    health.require_view(request.user)
    return render(request, "programmes/health_index.html", {"lists": list(health.LISTS.items())})


@login_required
def health_list(request, kind):
    health.require_view(request.user)
    if kind not in health.LISTS:
        raise Http404
    qs = health.health_list(request.user, kind)
    fmt = request.GET.get("format", "")
    if fmt == "xlsx":
        rows = _health_rows(kind, qs)
        health.audit_list_view(request.user, kind, rows=len(rows), export="xlsx")
        resp = HttpResponse(exports.health_xlsx(health.LISTS[kind], rows), content_type=exports.XLSX)
        resp["Content-Disposition"] = content_disposition(f"{health.LISTS[kind]}.xlsx")
        return resp
    if fmt == "pdf":
        rows = _health_rows(kind, qs)
        health.audit_list_view(request.user, kind, rows=len(rows), export="pdf")
        resp = HttpResponse(
            exports.table_pdf(exports.health_table(health.LISTS[kind], rows)), content_type="application/pdf"
        )
        resp["Content-Disposition"] = content_disposition(f"{health.LISTS[kind]}.pdf")
        return resp
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = _health_rows(kind, page)
    health.audit_list_view(request.user, kind, rows=len(rows))
    context = {
        "kind": kind,
        "title": health.LISTS[kind],
        "page": page,
        "rows": rows,
        "statuses": HealthService.Status.choices,
        "can_record": has_capability(request.user, Cap.RECORD_HEALTH_SERVICE),
        "today": clock.today(),
    }
    return render(request, "programmes/health_list.html", context)


@login_required
@require_POST
def health_record(request, kind, pk):
    health.require_view(request.user)
    if kind not in health.LISTS:
        raise Http404
    person = access_person(request.user, pk)
    try:
        day = dt.date.fromisoformat(request.POST.get("service_date", ""))
    except ValueError:
        day = clock.today()
    order = request.POST.get("birth_order", "")
    with refusals_as_messages(request):
        health.service_record(
            actor=request.user,
            person=person,
            kind=kind,
            service_date=day,
            status=request.POST.get("status", HealthService.Status.DONE),
            birth_order=int(order) if order.isdigit() else None,
        )
        messages.success(request, _("已登记。"))
    return redirect("programmes:health_list", kind=kind)


@login_required
@require_POST
def health_import(request, kind):
    health.require_view(request.user)
    if kind not in health.LISTS or not has_capability(request.user, Cap.RECORD_HEALTH_SERVICE):
        raise Http404
    upload = request.FILES.get("file")
    data = upload.read(5 << 20) if upload else b""
    with refusals_as_messages(request):
        result = health.services_import(actor=request.user, kind=kind, data=data)
        if result.problems:
            for p in result.problems[:20]:
                messages.error(request, p)
        else:
            messages.success(request, _("已导入 %(n)d 条服务记录。") % {"n": result.recorded})
    return redirect("programmes:health_list", kind=kind)
