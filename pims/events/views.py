"""Pages of the change reports and the histories. Thin and alike: access
helper (404 for missing and out of scope) → one service or selector →
render or redirect. Domain errors go through the pages' one mapping
(pims.web.errors): a refusal becomes messages, or the form's errors beside
the kept input; a user who may not act at all gets 404, so nothing leaks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.lib.errors import Refused
from pims.lib.http import safe_next
from pims.regions.models import Level
from pims.regions.selectors import access_region, region_list_visible_to
from pims.registry.selectors import access_household, access_person
from pims.web.errors import refusals_as_messages

from . import rules, selectors, services
from .handlers import handler_for, handler_of
from .models import Event, EventType, ReportState, Spell
from .periods import is_period, period_of
from .widgets import PersonFilter, attach_comments, event_widgets, spouse_filter, villages_for
from .widgets import person_search as person_search_persons


def _period(request, default: str) -> str:
    period = request.GET.get("period", "").strip()
    return period if is_period(period) else default


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    user = request.user
    if request.method == "POST":
        with refusals_as_messages(request):
            report = services.change_report_create(
                actor=user,
                region_code=request.POST.get("region", "").strip(),
                period=request.POST.get("period", "").strip(),
                source=request.POST.get("source", Event.Source.VILLAGE),
            )
            messages.success(request, _("变更单已创建，请逐条登记本月的变动。"))
            return redirect("events:report_detail", pk=report.pk)
        return redirect("events:report_list")
    qs = selectors.report_list_visible_to(user=user)
    state = request.GET.get("state", "")
    if state in ReportState.values:
        qs = qs.filter(state=state)
    period = request.GET.get("period", "").strip()
    if is_period(period):
        qs = qs.filter(period=period)
    sources = rules.sources_for(user)
    regions = region_list_visible_to(user=user).filter(level__in=[Level.VILLAGE, Level.TOWNSHIP], valid_to__isnull=True)
    return render(
        request,
        "events/report_list.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "states": ReportState.choices,
            "state": state,
            "period": period,
            "this_month": rules.reporting_period(),
            **_period_rule(),
            "sources": [(s, Event.Source(s).label) for s in sources],
            "regions": regions if sources else [],
        },
    )


def _period_rule() -> dict:
    """What pages say about the month rule (events/_period_rule.html)."""
    return {"due_day": rules.due_day(clock.today()), "reporting_period": rules.reporting_period()}


def _can_file(user, report) -> bool:
    return report.state in services.EDITABLE and rules.may_file(user, source=report.source, region=report.region)


@login_required
def person_search(request, pk):
    """Search-as-you-type for the event form's person items: the report
    region's persons the user may see, filtered by sex and age (JSON)."""
    report = selectors.access_report(request.user, pk)
    if not _can_file(request.user, report):
        raise Http404

    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and len(value) <= 3 else None

    sex = request.GET.get("sex", "")
    f = PersonFilter(sex if sex in ("1", "2") else "", number("min_age"), number("max_age"))
    if request.GET.get("opposite_of"):  # a spouse: the other sex than the chosen subject
        f = PersonFilter(spouse_filter(user=request.user, subject=request.GET["opposite_of"]).sex or f.sex)
    found = person_search_persons(user=request.user, report=report, text=request.GET.get("q", "")[:40], f=f)
    results = [{"id": pk, "label": label, **({"sex": f.sex} if f.sex else {})} for pk, label in found]
    return JsonResponse({"results": results})


@login_required
def report_detail(request, pk):
    report = selectors.access_report(request.user, pk)
    events = list(selectors.report_events(report))
    problems = {}
    if report.state != ReportState.APPROVED:
        problems = {e.pk: m for e, m in services.change_report_check(report, actor=request.user)}
    can_file = _can_file(request.user, report)
    comments = list(report.comments.select_related("author", "event"))
    for e in events:
        e.review_comments = [c for c in comments if c.event_id == e.pk]
    summaries = _summaries(request.user, events, report, "change_report")
    return render(
        request,
        "events/report_detail.html",
        {
            "report": report,
            "rows": [(e, s, problems.get(e.pk, [])) for e, s in zip(events, summaries, strict=True)],
            "problem_count": len(problems),
            "can_file": can_file,
            "can_review": report.state == ReportState.SUBMITTED and rules.may_review(request.user, report),
            "types": [(t, EventType(t).label) for t in rules.SOURCE_TYPES[report.source]] if can_file else [],
            "comments": comments,
        },
    )


def _post_data(post) -> dict:
    data = {k: v for k, v in post.items() if k not in ("csrfmiddlewaretoken", "members")}
    data["members"] = [
        {"person_id": pk, "relationship": post.get(f"rel-{pk}", "").strip()} for pk in post.getlist("members")
    ]
    return data


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request, pk):
    report = selectors.access_report(request.user, pk)
    event_type = request.GET.get("type") or request.POST.get("event_type") or ""
    if handler_for(event_type) is None or event_type not in rules.SOURCE_TYPES[report.source]:
        raise Http404
    if not _can_file(request.user, report):
        raise Http404
    values = request.GET.dict()
    refusal = None
    if request.method == "POST":
        values = _post_data(request.POST)
        try:
            services.event_file(actor=request.user, report=report, event_type=event_type, data=values)
        except Refused as exc:
            refusal = exc
        else:
            messages.success(request, _("已登记：%(type)s") % {"type": EventType(event_type).label})
            return redirect("events:report_detail", pk=report.pk)
    values.setdefault("effective_date", clock.today().isoformat())
    return _event_form(request, report, event_type, values, refusal)


def _event_form(request, report, event_type, values, refusal: Refused | None, event=None):
    """The event form with the values as typed and, after a refusal, its
    messages (answered with the refusal's status)."""
    widgets = event_widgets(user=request.user, report=report, event_type=event_type, values=values)
    comments = list(selectors.event_comments(event)) if event is not None else []
    return render(
        request,
        "events/event_form.html",
        {
            "report": report,
            "event": event,
            "event_type": event_type,
            "label": EventType(event_type).label,
            "widgets": widgets,
            "general_comments": attach_comments(widgets, comments),
            "errors": refusal.messages if refusal else [],
            "villages": villages_for(request.user),
            "needs_household": any(f.kind == "members" for f in handler_of(event_type).FIELDS)
            and not str(values.get("household", "")).isdigit(),
            **_exchange_offer(request.user, report, values, refusal),
        },
        status=refusal.status if refusal else 200,
    )


def _exchange_offer(user, report, values, refusal) -> dict:
    """A newcomer whose ID is registered elsewhere (E16): the collection
    form's offer of a 协查, for the household the event targets."""
    from pims.exchange.entry import offers_for_event
    from pims.registry.selectors import household_list_visible_to

    offers = offers_for_event(user, values, refusal)
    if not offers:
        return {}
    raw = str(values.get("household", ""))
    household = household_list_visible_to(user=user).filter(pk=raw).first() if raw.isdigit() else None
    village = household.region_code if household else values.get("new_household_village") or report.region_code
    return {"exchange_offers": offers, "offer_household": household, "offer_residence_code": village}


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk):
    """The edit form of a pending event (after a return, with the reviewer's
    comments next to the items they name); saving replaces the event."""
    event = selectors.access_event(request.user, pk)
    if event.report is None or event.review_status != Event.Review.PENDING or not _can_file(request.user, event.report):
        raise Http404
    values, refusal = selectors.event_values(event), None
    if request.method == "POST":
        values = _post_data(request.POST)
        try:
            services.event_revise(actor=request.user, event=event, data=values)
        except Refused as exc:
            refusal = exc
        else:
            messages.success(request, _("已修改：%(type)s") % {"type": EventType(event.event_type).label})
            return redirect("events:report_detail", pk=event.report_id)
    return _event_form(request, event.report, event.event_type, values, refusal, event=event)


@login_required
@require_POST
def event_withdraw(request, pk):
    event = selectors.access_event(request.user, pk)
    if event.report is None:
        raise Http404
    with refusals_as_messages(request):
        services.event_withdraw(actor=request.user, event=event)
        messages.success(request, _("事件已撤回。"))
    return redirect("events:report_detail", pk=event.report_id)


@login_required
@require_POST
def report_submit(request, pk):
    report = selectors.access_report(request.user, pk)
    with refusals_as_messages(request):
        services.change_report_submit(actor=request.user, report=report)
        messages.success(request, _("变更单已提交，等待乡镇审核。"))
    return redirect("events:report_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_review(request, pk):
    report = selectors.access_report(request.user, pk)
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    if request.method == "POST":
        with refusals_as_messages(request):
            if request.POST.get("decision") == "approve":
                services.change_report_approve(actor=request.user, report=report)
                messages.success(request, _("变更单已审核通过，变动已全部生效。"))
            else:
                event_id = request.POST.get("event", "")
                comment = {
                    "message": request.POST.get("message", ""),
                    "event_id": int(event_id) if event_id.isdigit() else None,
                    "field": request.POST.get("field", ""),
                }
                services.change_report_return(actor=request.user, report=report, comments=[comment])
                messages.success(request, _("变更单已退回村信息员修改。"))
            return redirect("events:report_detail", pk=pk)
    events = list(selectors.report_events(report).filter(review_status=Event.Review.PENDING))
    problems = {e.pk: m for e, m in services.change_report_check(report, actor=request.user)}
    summaries = _summaries(request.user, events, report, "change_report_review")
    return render(
        request,
        "events/report_review.html",
        {
            "report": report,
            "rows": [(e, s, problems.get(e.pk, [])) for e, s in zip(events, summaries, strict=True)],
            "can_review": report.state == ReportState.SUBMITTED and rules.may_review(request.user, report),
        },
    )


@login_required
@require_POST
def reports_approve(request):
    """Approve the checked submitted reports of the status page together."""
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    reports = [selectors.access_report(request.user, pk) for pk in request.POST.getlist("report") if pk.isdigit()]
    if reports:
        with refusals_as_messages(request):
            services.change_reports_approve(actor=request.user, reports=reports)
            messages.success(request, _("已审核通过 %(n)d 份变更单，变动已全部生效。") % {"n": len(reports)})
    return redirect(safe_next(request, "events:village_status"))


@login_required
def village_status(request):
    user = request.user
    if not has_capability(user, Cap.VIEW_PERSONAL):
        raise Http404
    townships = region_list_visible_to(user=user).filter(level=Level.TOWNSHIP, valid_to__isnull=True)
    code = request.GET.get("township", "").strip()
    township = access_region(user, code) if code else townships.first()
    if township is None or township.level != Level.TOWNSHIP:
        raise Http404
    period = _period(request, rules.reporting_period())
    return render(
        request,
        "events/village_status.html",
        {
            "township": township,
            "townships": townships,
            "period": period,
            "due": selectors.report_due_date(period),
            "rows": selectors.village_report_status(user=user, township=township, period=period),
            "can_review": has_capability(user, Cap.REVIEW),
            **_period_rule(),
        },
    )


@login_required
def population(request):
    user = request.user
    if not has_capability(user, Cap.VIEW_REPORTS) or user.region is None:
        raise Http404
    period = _period(request, period_of(clock.today()))
    kind = request.GET.get("kind", Spell.Kind.RESIDENT)
    kind = kind if kind in Spell.Kind.values else Spell.Kind.RESIDENT
    regions = [user.region, *region_list_visible_to(user=user).filter(parent=user.region, valid_to__isnull=True)]
    rows = [(r, selectors.population_balance(r.prefix, period, kind=kind)) for r in regions]
    return render(
        request,
        "events/population.html",
        {"rows": rows, "period": period, "kind": kind, "kinds": Spell.Kind.choices},
    )


def _summaries(user, events, report, what: str) -> list[str]:
    return selectors.event_summaries(user, events, obj=report, region_code=report.region_code, what=what)


@login_required
def person_timeline(request, pk):
    person = access_person(request.user, pk)
    return render(
        request,
        "events/person_timeline.html",
        {"person": person, "entries": selectors.person_timeline(person, user=request.user)},
    )


@login_required
def household_history(request, pk):
    household = access_household(request.user, pk)
    events = list(
        Event.objects.filter(household=household).exclude(review_status=Event.Review.WITHDRAWN).select_related("person")
    )
    summaries = selectors.event_summaries(
        request.user, events, obj=household, region_code=household.region_code, what="household_history"
    )
    return render(
        request,
        "events/household_history.html",
        {
            "household": household,
            "spans": selectors.household_history(household),
            "events": list(zip(events, summaries, strict=True)),
        },
    )
