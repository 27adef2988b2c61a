"""JSON API of the programmes and the health lists: the same scoped
selectors as the pages (404 outside the user's region or capability).

Mounted by pims/api/api.py at /api/programmes."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import SessionAuth

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_request
from pims.lib import clock
from pims.regions.scope import code_in_scope
from pims.registry.selectors import access_person

from . import eligibility, health, selectors
from .models import Programme

router = Router(tags=["programmes"], auth=SessionAuth())


class CycleOut(Schema):
    id: int
    uuid: str
    programme: str
    year: int
    county_code: str
    state: str


class VerdictOut(Schema):
    rule: str
    outcome: str
    reason: str


class CycleEntryOut(Schema):
    id: int
    uuid: str
    person_uuid: str
    name: str
    id_masked: str
    village_code: str
    stage: str
    change: str
    outcome: str
    tefu_kind: str
    verdicts: list[VerdictOut]


class EligibilityOut(Schema):
    programme: str
    year: int
    outcome: str
    verdicts: list[VerdictOut]
    unverified_parameters: list[str]


class StopOut(Schema):
    entry: int
    name: str
    reason: str
    detail: str


class CycleChangeOut(Schema):
    category: str
    name: str
    village_code: str
    reason: str


class CycleRosterOut(Schema):
    id: int
    uuid: str
    number: int
    created_at: dt.datetime
    paid_on: dt.date | None = None
    lines: int


class RosterLineOut(Schema):
    entry: int
    person_uuid: str
    name: str
    id_masked: str
    village_code: str
    tefu_kind: str
    amount: float


class HealthRowOut(Schema):
    person_uuid: str
    name: str
    birth_date: dt.date
    id_masked: str
    responsible_code: str
    birth_order: int | None = None
    last_service: dt.date | None = None


def _require(user, cap=Cap.VIEW_PROGRAMMES):
    if not has_capability(user, cap):
        raise Http404


@router.get("/cycles", response=list[CycleOut], url_name="programmes_cycles", summary="扶助年度（本县及下级可见）")
def cycles(request):
    _require(request.auth)
    return [
        CycleOut(
            id=c.pk, uuid=str(c.uuid), programme=c.programme, year=c.year, county_code=c.county_code, state=c.state
        )
        for c in selectors.cycle_list_visible_to(user=request.auth)
    ]


@router.get(
    "/cycles/{pk}/entries",
    response=list[CycleEntryOut],
    url_name="programmes_entries",
    summary="扶助对象名单（本辖区）",
)
@paginate(PageNumberPagination, page_size=100)
def entries(request, pk: int, stage: str = ""):
    _require(request.auth)
    cycle = selectors.access_cycle(request.auth, pk)
    qs = selectors.with_people(selectors.entry_list_visible_to(user=request.auth, cycle=cycle))
    if stage:
        qs = qs.filter(stage=stage)
    return [
        CycleEntryOut(
            id=e.pk,
            uuid=str(e.uuid),
            person_uuid=str(e.person.uuid),
            name=e.person.name,
            id_masked=e.person.id_masked,
            village_code=e.village_code,
            stage=e.stage,
            change=e.change,
            outcome=e.outcome,
            tefu_kind=e.tefu_kind,
            verdicts=[VerdictOut(rule=r, outcome=o, reason=t) for r, o, t in e.verdicts],
        )
        for e in qs
    ]


@router.get("/cycles/{pk}/stops", response=list[StopOut], url_name="programmes_stops", summary="停发待办（县级）")
def stops(request, pk: int):
    _require(request.auth, Cap.PROGRAMME_COUNTY)
    cycle = selectors.access_cycle(request.auth, pk)
    if not code_in_scope(request.auth, cycle.county_code):
        raise Http404
    return [
        StopOut(entry=p.entry.pk, name=p.entry.person.name, reason=p.reason, detail=p.detail)
        for p in selectors.stops_pending(cycle)
    ]


@router.get(
    "/cycles/{pk}/changes",
    response=list[CycleChangeOut],
    url_name="programmes_changes",
    summary="年度变动名单（本辖区）",
)
def changes(request, pk: int):
    _require(request.auth)
    cycle = selectors.access_cycle(request.auth, pk)
    entries = selectors.entry_list_visible_to(user=request.auth, cycle=cycle)
    return [
        CycleChangeOut(category=r.category, name=r.name, village_code=r.village_code, reason=r.reason)
        for r in selectors.change_list(cycle, entries)
    ]


@router.get(
    "/cycles/{pk}/rosters", response=list[CycleRosterOut], url_name="programmes_rosters", summary="名册批次（县级）"
)
def rosters(request, pk: int):
    _require(request.auth, Cap.PROGRAMME_COUNTY)
    cycle = selectors.access_cycle(request.auth, pk)
    if not code_in_scope(request.auth, cycle.county_code):
        raise Http404
    return [
        CycleRosterOut(
            id=r.pk, uuid=str(r.uuid), number=r.number, created_at=r.created_at, paid_on=r.paid_on, lines=r.n_lines
        )
        for r in cycle.rosters.annotate(n_lines=Count("lines")).order_by("number")
    ]


@router.get(
    "/rosters/{pk}/lines", response=list[RosterLineOut], url_name="programmes_roster_lines", summary="名册（县级）"
)
@paginate(PageNumberPagination, page_size=500)
def roster_lines(request, pk: int):
    roster = selectors.access_roster(request.auth, pk)
    audit_request(
        request,
        action=Action.EXPORT,
        obj=roster,
        region_code=roster.cycle.county_code,
        detail={"list": "roster", "fmt": "api"},
    )
    lines = roster.lines.select_related("entry__person").order_by("entry__village_code", "entry__person__name", "pk")
    return [
        RosterLineOut(
            entry=line.entry_id,
            person_uuid=str(line.entry.person.uuid),
            name=line.entry.person.name,
            id_masked=line.entry.person.id_masked,
            village_code=line.entry.village_code,
            tefu_kind=line.entry.tefu_kind,
            amount=float(line.amount),
        )
        for line in lines
    ]


@router.get(
    "/persons/{pk}/eligibility",
    response=list[EligibilityOut],
    url_name="programmes_person_eligibility",
    summary="个人奖扶、特扶资格及理由",
)
def person_eligibility(request, pk: int, year: int = 0):
    _require(request.auth)
    person = access_person(request.auth, pk)
    year = year if 2004 <= year <= 2100 else clock.today().year
    out = []
    for programme in Programme.values:
        result = eligibility.eligibility_of(programme, person, year=year)
        ctx = eligibility.Context.for_year(programme, year)
        out.append(
            EligibilityOut(
                programme=programme,
                year=year,
                outcome=result.outcome,
                verdicts=[VerdictOut(rule=v.rule_id, outcome=v.outcome, reason=v.reason) for v in result.verdicts],
                unverified_parameters=[e.key for e in ctx.unverified()],
            )
        )
    return out


@router.get(
    "/health/{kind}", response=list[HealthRowOut], url_name="programmes_health_list", summary="生殖健康服务名单"
)
@paginate(PageNumberPagination, page_size=100)
def health_list(request, kind: str):
    health.require_view(request.auth)
    if kind not in health.LISTS:
        raise Http404
    rows = []
    for item in health.health_list(request.auth, kind)[:5000]:
        p = item if kind == "cancer_screening" else item.wife
        rows.append(
            HealthRowOut(
                person_uuid=str(p.uuid),
                name=p.name,
                birth_date=p.birth_date,
                id_masked=p.id_masked,
                responsible_code=p.responsible_code,
                birth_order=getattr(item, "next_order", None),
                last_service=getattr(item, "last_service", None),
            )
        )
    health.audit_list_view(request.auth, kind, rows=len(rows), export="api")
    return rows
