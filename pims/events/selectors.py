"""Reads of the events app: population at a date, period flows and the
balance, scoped report and event lists, the township's view of which
villages reported, and a person's or household's history.

Counting rules (DESIGN.md §3, 统计口径) in this module:

- population at a date = spells of one kind (registered 户籍 / resident 常住)
  covering the date under a region-code prefix, by occurrence dates — the
  register as known now (a late report can still change a past date);
- period flows count events by the month they were **approved** in;
  `population_end_of(period)` is the stock as approved by the end of that
  month, which no later report changes, so for every region and period

      end = start + baseline + births − deaths + moved in − moved out

  holds exactly (baseline shown separately; 注销 counted with moved out and
  shown as 其中注销; a move between two places inside the region is neither
  in nor out; corrections never touch spells);
- every query here is one set-based statement over the spell table.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Level, Region
from pims.regions.scope import scope_q

from . import rules
from .handlers import handler_for
from .models import ChangeReport, Event, EventType, Spell
from .periods import first_day, next_period, previous_period
from .spell_attrs import PERSON_ATTRS

# --- population and flows -----------------------------------------------------


def population_at(region_prefix: str, day: dt.date, kind: str = Spell.Kind.RESIDENT) -> int:
    return (
        Spell.objects.filter(kind=kind, region_code__startswith=region_prefix, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gt=day))
        .count()
    )


def population_end_of(region_prefix: str, period: str, kind: str = Spell.Kind.RESIDENT) -> int:
    """The stock as approved by the end of `period` (YYYY-MM)."""
    return Spell.objects.filter(_stock(period), kind=kind, region_code__startswith=region_prefix).count()


@dataclass
class Flows:
    baseline: int = 0
    births: int = 0
    deaths: int = 0
    moved_in: int = 0
    moved_out: int = 0
    cancelled: int = 0  # of which (included in moved_out)

    @property
    def net(self) -> int:
        return self.baseline + self.births - self.deaths + self.moved_in - self.moved_out


def _outside(prefix: str, column: str) -> Q:
    """The other end of a move lies outside the region (or the register)."""
    return Q(**{column: ""}) | ~Q(**{f"{column}__startswith": prefix})


def _stock(period: str) -> Q:
    """Spells counted in the stock at the end of `period`, as approved."""
    return Q(open_period__lte=period) & ~Q(open_period="") & (Q(close_period="") | Q(close_period__gt=period))


def _flow_counts(prefix: str, first: str, last: str) -> dict:
    opened = Q(open_period__gte=first, open_period__lte=last)
    closed = Q(close_period__gte=first, close_period__lte=last)
    moved_out = Q(close_reason=Spell.Closed.MOVE) & _outside(prefix, "destination_code")
    return {
        "baseline": Count("id", filter=opened & Q(open_reason=Spell.Opened.BASELINE)),
        "births": Count("id", filter=opened & Q(open_reason=Spell.Opened.BIRTH)),
        "moved_in": Count("id", filter=opened & Q(open_reason=Spell.Opened.MOVE) & _outside(prefix, "origin_code")),
        "deaths": Count("id", filter=closed & Q(close_reason=Spell.Closed.DEATH)),
        "moved_out": Count("id", filter=closed & (Q(close_reason=Spell.Closed.CANCEL) | moved_out)),
        "cancelled": Count("id", filter=closed & Q(close_reason=Spell.Closed.CANCEL)),
    }


def period_flows(region_prefix: str, first: str, last: str | None = None, kind: str = Spell.Kind.RESIDENT) -> Flows:
    """Flows under a region prefix over the approval months first..last."""
    counts = _flow_counts(region_prefix, first, last or first)
    return Flows(**Spell.objects.filter(kind=kind, region_code__startswith=region_prefix).aggregate(**counts))


@dataclass
class Balance:
    region_prefix: str
    kind: str
    first: str
    last: str
    start: int
    flows: Flows
    end: int

    @property
    def holds(self) -> bool:
        return self.end == self.start + self.flows.net


def population_balance(region_prefix: str, first: str, last: str | None = None, kind=Spell.Kind.RESIDENT) -> Balance:
    """Stock at the start, flows, and stock at the end of the approval months
    first..last, in one statement."""
    last = last or first
    row = Spell.objects.filter(kind=kind, region_code__startswith=region_prefix).aggregate(
        start=Count("id", filter=_stock(previous_period(first))),
        end=Count("id", filter=_stock(last)),
        **_flow_counts(region_prefix, first, last),
    )
    start, end = row.pop("start"), row.pop("end")
    return Balance(region_prefix, kind, first, last, start, Flows(**row), end)


# --- reports and events ---------------------------------------------------------


def report_list_visible_to(*, user) -> QuerySet[ChangeReport]:
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return ChangeReport.objects.none()
    return ChangeReport.objects.filter(scope_q(user, "region_code")).select_related("region", "created_by")


def access_report(user, pk) -> ChangeReport:
    """The report if the user may see it; 404 for missing and out of scope alike."""
    try:
        return report_list_visible_to(user=user).get(pk=pk)
    except (ChangeReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def event_list_visible_to(*, user) -> QuerySet[Event]:
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return Event.objects.none()
    return Event.objects.filter(scope_q(user, "region_code"))


def access_event(user, pk) -> Event:
    try:
        return event_list_visible_to(user=user).select_related("report__region").get(pk=pk)
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def report_events(report: ChangeReport) -> QuerySet[Event]:
    return report.events.select_related("person", "related_person", "household").order_by("effective_date", "id")


def report_due_date(period: str) -> dt.date:
    return first_day(next_period(period)).replace(day=rules.due_day())


@dataclass
class VillageStatus:
    village: Region
    report: ChangeReport | None
    events: int = 0
    due: dt.date | None = None
    late: bool = False
    missing: bool = False
    supplementary: list = field(default_factory=list)


def village_report_status(*, user, township: Region, period: str, today: dt.date | None = None) -> list[VillageStatus]:
    """Per village of a township: the month's village report, whether it was
    submitted by the due day (late), and whether it is still missing."""
    today = today or timezone.localdate()
    due = report_due_date(period)
    villages = list(
        Region.objects.filter(scope_q(user, "code"), parent=township, level=Level.VILLAGE, valid_to__isnull=True)
    )
    reports = (
        report_list_visible_to(user=user)
        .filter(region__in=villages, period=period, source=Event.Source.VILLAGE)
        .annotate(n=Count("events", filter=~Q(events__review_status=Event.Review.WITHDRAWN)))
        .order_by("created_at")
    )
    by_village: dict[int, list[ChangeReport]] = {}
    for r in reports:
        by_village.setdefault(r.region_id, []).append(r)
    out = []
    for v in villages:
        mine = by_village.get(v.pk, [])
        first = mine[0] if mine else None
        sent = first.submitted_at.date() if first and first.submitted_at else None
        out.append(
            VillageStatus(
                village=v,
                report=first,
                events=first.n if first else 0,
                due=due,
                late=(sent or today) > due,
                missing=sent is None and today > due,
                supplementary=mine[1:],
            )
        )
    return out


# --- history ------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    day: dt.date
    kind: str  # event / spell / marriage / birth
    title: str
    detail: str = ""
    status: str = ""
    period: str = ""
    late: bool = False
    event: Event | None = None


def _type_label(event_type: str) -> str:
    try:
        return str(EventType(event_type).label)
    except ValueError:
        return event_type


def person_timeline(person) -> list[TimelineEntry]:
    """Every event (as subject or as the other person), every spell opening
    and closing and every marriage of the person, in date order."""
    entries = []
    events = (
        Event.objects.filter(Q(person=person) | Q(related_person=person))
        .exclude(review_status=Event.Review.WITHDRAWN)
        .select_related("report")
    )
    for e in events:
        role = "" if e.person_id == person.pk else "（作为" + _related_label(e) + "）"
        entries.append(
            TimelineEntry(
                day=e.effective_date,
                kind="event",
                title=_type_label(e.event_type) + role,
                detail=event_summary(e),
                status=e.get_review_status_display(),
                period=e.approved_period,
                late=bool(e.report_id) and e.is_late,
                event=e,
            )
        )
    for s in person.spells.select_related("opened_by", "closed_by", "household"):
        where = f"{s.get_kind_display()} {s.region_code}（户 {s.household.number if s.household else '—'}）"
        entries.append(TimelineEntry(s.start, "spell", f"开始{where}", _type_label(s.opened_by.event_type)))
        if s.end is not None:
            entries.append(
                TimelineEntry(
                    s.end, "spell", f"结束{where}", _type_label(s.closed_by.event_type) if s.closed_by else ""
                )
            )
    from pims.registry.models import Marriage

    for m in Marriage.objects.filter(Q(husband=person) | Q(wife=person)).select_related("husband", "wife"):
        other = m.wife if m.husband_id == person.pk else m.husband
        if m.date:
            entries.append(TimelineEntry(m.date, "marriage", f"与“{other.name}”结婚（{m.get_kind_display()}）"))
        if m.end_date:
            entries.append(TimelineEntry(m.end_date, "marriage", f"与“{other.name}”的婚姻终止（{m.end_reason}）"))
    order = {"event": 0, "marriage": 1, "spell": 2}
    return sorted(entries, key=lambda x: (x.day, order[x.kind]))


def _related_label(event: Event) -> str:
    handler = handler_for(event.event_type)
    return (handler.RELATED or "关系人") if handler else "关系人"


def event_summary(event: Event) -> str:
    """A short description of an event's payload, without personal numbers."""
    p = event.payload or {}
    bits = []
    if event.event_type == EventType.CORRECTION:
        bits.append(f"{p.get('field', '')}：“{p.get('before', '')}” → “{p.get('after', '')}”")
    for key, label in (
        ("name", "姓名"),
        ("outcome", "结局"),
        ("method", "措施"),
        ("reason", "原因"),
        ("destination_code", "去向"),
        ("origin_code", "来源地"),
        ("new_household_number", "新户编号"),
    ):
        if p.get(key) and event.event_type != EventType.CORRECTION:
            bits.append(f"{label} {p[key]}")
    return "；".join(bits)


@dataclass
class MemberSpan:
    person: object
    start: dt.date
    end: dt.date | None
    opened: str
    closed: str


def household_history(household) -> list[MemberSpan]:
    """Members over time: each stay of a person in the household (their
    spells with this household, merged over kinds), in order."""
    spells = (
        Spell.objects.filter(household=household)
        .select_related("person", "opened_by", "closed_by")
        .order_by("person_id", "start", "id")
    )
    spans: dict[tuple, MemberSpan] = {}
    for s in spells:
        key = (s.person_id, s.opened_by_id)
        span = spans.get(key)
        closed = _type_label(s.closed_by.event_type) if s.closed_by else ""
        if span is None:
            spans[key] = MemberSpan(s.person, s.start, s.end, _type_label(s.opened_by.event_type), closed)
        elif span.end is not None and (s.end is None or s.end > span.end):
            span.end, span.closed = s.end, closed
    return sorted(spans.values(), key=lambda m: (m.start, m.person.row))


def spell_violations(person_ids=None) -> list[str]:
    """Breaches of the spell invariants: two overlapping spells of one kind
    for a person, overlapping spells of a person in two households, or a
    spell whose copies of the person's attributes differ from the person.
    Spells of no length cover no date and overlap nothing."""
    far = dt.date(9999, 12, 31)
    spells = Spell.objects.filter(Q(end__isnull=True) | Q(end__gt=F("start")))
    if person_ids is not None:
        spells = spells.filter(person_id__in=person_ids)
    overlapping = (
        spells.filter(person=OuterRef("person"), start__lt=Coalesce(OuterRef("end"), Value(far)))
        .filter(Q(end__isnull=True) | Q(end__gt=OuterRef("start")))
        .exclude(pk=OuterRef("pk"))
    )
    same_kind = spells.filter(Exists(overlapping.filter(kind=OuterRef("kind"))))
    two_households = spells.filter(Exists(overlapping.exclude(household=OuterRef("household"))))
    out = [f"人员 {s.person_id}：{s.get_kind_display()}时段 {s.start}–{s.end or ''} 与同类时段重叠" for s in same_kind]
    out += [f"人员 {s.person_id}：时段 {s.start}–{s.end or ''} 与另一户的时段重叠" for s in two_households]
    # The copies of the person's attributes must follow the person.
    stale = Q()
    for name in PERSON_ATTRS:
        stale |= ~Q(**{name: F(f"person__{name}")}) | Q(**{f"{name}__isnull": True})
    drifted = Spell.objects.filter(stale)
    if person_ids is not None:
        drifted = drifted.filter(person_id__in=person_ids)
    out += [f"人员 {s.person_id}：时段 {s.start}–{s.end or ''} 的人员属性副本与登记不一致" for s in drifted]
    return out
