from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.services import client_ip
from pims.codes.selectors import code_lookup
from pims.lib import clock
from pims.lib.dates import age_on
from pims.lib.text import is_ascii_digits
from pims.regions.models import Level
from pims.regions.selectors import access_region, region_list_visible_to
from pims.web.errors import refusals_as_messages

from . import reproductive, selectors, services
from .checks.input_rules import MEMBER_LABELS
from .errors import HouseholdChanged
from .forms import CODE_FIELDS, DATE_FIELDS, MEMBER_FIELDS, code_options, parse_household_post
from .models import FormState
from .volumes import household_volume

EMPTY_ROWS = 4


def _violation_map(violations):
    """{(row, field): [messages]} for showing each error next to its cell."""
    out = {}
    for v in violations:
        out.setdefault(f"{v.row or 0}:{v.field}", []).append(v)
    return out


@login_required
def household_list(request):
    qs = selectors.household_list_visible_to(user=request.user).select_related("village", "head")
    village = request.GET.get("village", "").strip()
    state = request.GET.get("state", "").strip()
    if village:
        qs = qs.filter(region_code__startswith=village)
    if state in FormState.values:
        qs = qs.filter(form_state=state)
    page = Paginator(qs.order_by("region_code", "number"), 50).get_page(request.GET.get("page"))
    villages = region_list_visible_to(user=request.user).filter(level=Level.VILLAGE, valid_to__isnull=True)
    can_collect = has_capability(request.user, Cap.ENTER_FORMS)
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "villages": villages,
            "states": FormState.choices,
            "village": village,
            "state": state,
            "can_collect": can_collect,
        },
    )


def _form_context(request, *, household=None, village=None, data=None, rows=None, violations=(), conflict=False):
    rows = list(rows or [])
    next_row = max([r["row"] for r in rows], default=0) + 1
    for i in range(next_row, next_row + (EMPTY_ROWS if not rows else 1)):
        rows.append({"row": i})
    vmap = _violation_map(violations)
    village = village or (household.village if household else None)
    return {
        "household": household,
        "village": village,
        "data": data or {},
        "hh_errors": {f: vmap.get(f"0:{f}", []) for f in ("number", "hh_type", "address", "collected_on", "")},
        "rows": [_cells(r, vmap) for r in rows],
        "columns": [(f, MEMBER_LABELS[f]) for f in MEMBER_FIELDS],
        "violations": violations,
        "has_errors": any(v.severity == "error" for v in violations),
        "has_warnings": any(v.severity == "warning" for v in violations),
        "codes": code_options(),
        "conflict": conflict,
        "comments": household.review_comments.filter(resolved=False) if household else [],
        "exchange_offers": _exchange_offers(request.user, violations, rows),
        "offer_form_id": "household-form",
        "offer_household": household,
        "offer_residence_code": village.code if village else "",
        "reproductive_hidden": not reproductive.can_view(request.user),
    }


def _exchange_offers(user, violations, rows):
    """Rows whose ID is registered outside the user's jurisdiction (rule I29):
    the form offers a 协查 (through the county) instead of a second record."""
    if not any(v.rule_id == "I29" for v in violations):
        return []
    from pims.exchange.entry import offers_for_rows

    return offers_for_rows(user, rows)


def _cells(row: dict, vmap) -> dict:
    n = row["row"]
    row_errors = vmap.get(f"{n}:", [])
    cells = []
    for f in MEMBER_FIELDS:
        value = row.get(f, "") if row.get(f) is not None else ""
        found = vmap.get(f"{n}:{f}", [])
        cells.append(
            {
                "field": f,
                "name": f"m-{n}-{f}",
                "value": value,
                "errors": found,
                "list": f"codes-{f}" if f in CODE_FIELDS else "",
                "date": f in DATE_FIELDS,
                "candidates": code_candidates(f, value) if found and f in CODE_FIELDS else [],
            }
        )
    return {"row": n, "cells": cells, "errors": row_errors}


def code_candidates(field: str, text: str) -> list[str]:
    """What a refused code input may have meant — pinyin initials shared by
    several names ("hz": 回族, 哈尼族 …) — as "名称（代码）", at most eight."""
    text = str(text or "").strip()
    if not text:
        return []
    return [f"{c.name}（{c.code}）" for c in code_lookup(CODE_FIELDS[field], text)[:8]]


def _rows_from_members(members):
    return [dict(m) for m in members]


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    code = request.GET.get("village") or request.POST.get("village") or ""
    if not code and request.user.region.level == Level.VILLAGE:
        code = request.user.region.code
    village = access_region(request.user, code) if code else None
    if village is None or village.level != Level.VILLAGE:
        return redirect("registry:household_list") if request.method == "GET" else _bad_village(request)
    if not has_capability(request.user, Cap.ENTER_FORMS):
        raise Http404
    if request.method == "GET":
        return render(request, "registry/household_form.html", _form_context(request, village=village))
    data, members = parse_household_post(request.POST)
    members, offers = _ask_exchange(request, members)
    result = services.household_save(
        actor=request.user,
        data=data,
        members=members,
        village_code=village.code,
        confirm_warnings=bool(request.POST.get("confirm_warnings")),
    )
    if result.saved:
        messages.success(request, _("采集表已保存为草稿。"))
        _start_inquiries(request, result.household, offers)
        return redirect("registry:household_detail", pk=result.household.pk)
    ctx = _form_context(
        request, village=village, data=data, rows=_rows_from_members(members), violations=result.violations
    )
    return render(request, "registry/household_form.html", ctx, status=422)


def _ask_exchange(request, members):
    """With the offer's button ("ask_exchange"), the rows whose ID is
    registered elsewhere leave the form; each gets a 协查 once it is saved."""
    if not request.POST.get("ask_exchange"):
        return members, []
    from pims.exchange.entry import split_offered

    return split_offered(request.user, members)


def _start_inquiries(request, household, offers) -> None:
    if not offers:
        return
    from pims.exchange.entry import inquiries_for_household

    with refusals_as_messages(request):
        inquiries_for_household(actor=request.user, household=household, offers=offers)
        messages.info(
            request,
            _("已向户籍地发起协查草稿 %(n)d 条（核对后发出）；该户待反馈后才能提交审核。") % {"n": len(offers)},
        )


def _bad_village(request):
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    household = selectors.access_household(request.user, pk, for_write=True)
    if household.form_state not in services.EDITABLE_STATES:
        messages.error(request, _("采集表已提交或已审核，不能再修改。"))
        return redirect("registry:household_detail", pk=household.pk)
    if request.method == "GET":
        data = {
            f: getattr(household, f) or "" for f in ("number", "hh_type", "address", "form_number", "volume_number")
        }
        data["collected_on"] = household.collected_on.isoformat() if household.collected_on else ""
        rows = reproductive.member_rows_for(
            request.user, household, selectors.household_form_rows(household), what="household_form"
        )
        ctx = _form_context(request, household=household, data=data, rows=rows)
        return render(request, "registry/household_form.html", ctx)
    data, members = parse_household_post(request.POST)
    members, offers = _ask_exchange(request, members)
    try:
        expected = int(request.POST.get("version", "0"))
    except ValueError:
        expected = -1
    try:
        result = services.household_save(
            actor=request.user,
            data=data,
            members=members,
            household=household,
            expected_version=expected,
            confirm_warnings=bool(request.POST.get("confirm_warnings")),
        )
    except HouseholdChanged as exc:  # the form keeps what the user typed
        messages.error(request, str(exc))
        ctx = _form_context(request, household=household, data=data, rows=_rows_from_members(members), conflict=True)
        return render(request, "registry/household_form.html", ctx, status=exc.status)
    if result.saved:
        messages.success(request, _("采集表已保存。"))
        _start_inquiries(request, household, offers)
        return redirect("registry:household_detail", pk=household.pk)
    ctx = _form_context(
        request, household=household, data=data, rows=_rows_from_members(members), violations=result.violations
    )
    return render(request, "registry/household_form.html", ctx, status=422)


@login_required
def household_detail(request, pk):
    household = selectors.access_household(request.user, pk)
    members = selectors.household_members(household)
    user = request.user
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": members,
            "comments": household.review_comments.all(),
            "volume": household_volume(household),
            "can_edit": household.form_state in services.EDITABLE_STATES and has_capability(user, Cap.ENTER_FORMS),
            "can_review": household.form_state == FormState.SUBMITTED and has_capability(user, Cap.REVIEW),
            "fields": MEMBER_FIELDS,
            "pending": _pending_inquiries(household),
            "can_open_exchange": has_capability(user, Cap.EXCHANGE),
        },
    )


def _pending_inquiries(household):
    from pims.exchange.entry import pending_inquiries

    return list(pending_inquiries(household))


@login_required
@require_POST
def household_submit(request, pk):
    household = selectors.access_household(request.user, pk, for_write=True)
    with refusals_as_messages(request):
        result = services.household_submit(
            actor=request.user, household=household, confirm_warnings=bool(request.POST.get("confirm_warnings"))
        )
        if result.saved:
            messages.success(request, _("采集表已提交，等待乡镇审核。"))
        else:
            for v in result.violations:
                messages.error(request, v.message)
    return redirect("registry:household_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def household_review(request, pk):
    household = selectors.access_household(request.user, pk)
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    if request.method == "POST":
        with refusals_as_messages(request):
            if request.POST.get("decision") == "approve":
                services.household_approve(actor=request.user, household=household)
                messages.success(request, _("采集表已审核通过。"))
            else:
                comments = _review_comments(request.POST)
                services.household_return(actor=request.user, household=household, comments=comments)
                messages.success(request, _("采集表已退回村信息员修改。"))
            return redirect("registry:household_detail", pk=pk)
    return render(
        request,
        "registry/household_review.html",
        {
            "household": household,
            "members": selectors.household_review_rows(
                household,
                rows=reproductive.member_rows_for(
                    request.user, household, selectors.household_form_rows(household), what="household_review"
                ),
            ),
            "reproductive_hidden": not reproductive.can_view(request.user),
            "fields": [(f, MEMBER_LABELS[f]) for f in MEMBER_FIELDS],
        },
    )


def _review_comments(post) -> list[dict]:
    out = []
    for i in range(1, 21):
        message = post.get(f"c-{i}-message", "").strip()
        if message:
            row = post.get(f"c-{i}-row", "").strip()
            out.append(
                {
                    "row": int(row) if is_ascii_digits(row) else None,
                    "field": post.get(f"c-{i}-field", "").strip(),
                    "message": message,
                }
            )
    return out


@login_required
def person_detail(request, pk):

    from django.urls import NoReverseMatch, reverse

    from pims.search.selectors import person_code_names, person_relatives, region_names

    person = selectors.access_person(request.user, pk)
    try:
        # The events app owns the timeline; link to it once it is routed.
        timeline_url = reverse("events:person_timeline", args=[person.pk])
    except NoReverseMatch:
        timeline_url = None
    names = region_names((person.registered_code, person.residence_code, person.responsible_code))
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "age": age_on(person.birth_date, clock.today()),
            "codes": person_code_names(person),
            "region_names": {
                "registered": names.get(person.registered_code, ""),
                "residence": names.get(person.residence_code, ""),
                "responsible": names.get(person.responsible_code, ""),
            },
            "relatives": person_relatives(user=request.user, person=person),
            "timeline_url": timeline_url,
            "can_unmask": has_capability(request.user, Cap.UNMASK_PERSONAL),
            "can_exchange": has_capability(request.user, Cap.EXCHANGE),
        },
    )


@login_required
@require_POST
def person_reveal(request, pk):
    person = selectors.access_person(request.user, pk)
    number = services.person_reveal_citizen_id(actor=request.user, person=person, ip=client_ip(request))
    return HttpResponse(f'<span data-testid="full-id">{escape(number)}</span>')


@login_required
@require_http_methods(["GET", "POST"])
def household_scan(request, pk):
    """Upload (POST) or view (GET) the scanned paper form; served through the
    scope check, never from a public media URL."""
    if request.method == "POST":
        household = selectors.access_household(request.user, pk, for_write=True)
        upload = request.FILES.get("form_scan")
        if upload is None:
            messages.error(request, _("请选择要上传的扫描件。"))
        else:
            with refusals_as_messages(request):
                services.household_attach_scan(actor=request.user, household=household, upload=upload)
                messages.success(request, _("扫描件已上传。"))
        return redirect("registry:household_detail", pk=pk)
    household = selectors.access_household(request.user, pk)
    if not household.form_scan:
        raise Http404
    from django.http import FileResponse

    return FileResponse(household.form_scan.open("rb"), as_attachment=False)
