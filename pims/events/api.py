"""The events JSON API: the population balance and a person's timeline, read
through the same selectors as the pages (404 for missing and out of scope).
Filing and reviewing reports stay on the pages and services for now."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema

from pims.accounts.roles import Cap, has_capability
from pims.regions.selectors import access_region
from pims.registry.selectors import access_person

from . import selectors
from .models import Spell
from .periods import is_period

router = Router(tags=["events"])


class BalanceOut(Schema):
    region_code: str
    kind: str
    first: str
    last: str
    start: int
    baseline: int
    births: int
    deaths: int
    moved_in: int
    moved_out: int
    cancelled: int
    end: int


class TimelineEntryOut(Schema):
    day: dt.date
    kind: str
    title: str
    detail: str
    status: str
    period: str
    late: bool


@router.get("/population/{code}", response=BalanceOut, url_name="events_population")
def population(request, code: str, period: str, last: str = "", kind: str = Spell.Kind.RESIDENT):
    """Stock at the start, flows and stock at the end of approval months
    period..last under a region (counted as in pims.events.selectors)."""
    region = access_region(request.user, code)
    if not has_capability(request.user, Cap.VIEW_REPORTS) or not is_period(period) or kind not in Spell.Kind.values:
        raise Http404
    b = selectors.population_balance(region.prefix, period, last if is_period(last) else period, kind=kind)
    return {
        "region_code": region.code, "kind": kind, "first": b.first, "last": b.last, "start": b.start, "end": b.end,
        **{k: getattr(b.flows, k) for k in ("baseline", "births", "deaths", "moved_in", "moved_out", "cancelled")},
    }  # fmt: skip


@router.get("/persons/{pk}/timeline", response=list[TimelineEntryOut], url_name="events_person_timeline")
def person_timeline(request, pk: int):
    person = access_person(request.user, pk)
    return [
        {"day": e.day, "kind": e.kind, "title": e.title, "detail": e.detail, "status": e.status, "period": e.period,
         "late": e.late}
        for e in selectors.person_timeline(person)
    ]  # fmt: skip
