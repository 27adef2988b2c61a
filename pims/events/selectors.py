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
  in nor out), plus 更正增减: a region correction or a reversal (撤销) closes
  the wrong spell with no length and opens the right one in the month it is
  approved, counted like a move but apart from the moves;
- every query here is one set-based statement over the spell table.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.codes.names import code_label
from pims.lib import clock
from pims.regions.models import Level, Region
from pims.regions.scope import scope_q
from pims.registry import reproductive as reproductive_rules
from pims.registry.models import Birth, Marriage, Person
from pims.registry.personal import outcome_from_payload

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
    corrected_in: int = 0  # 更正增加: region corrections and reversals
    corrected_out: int = 0  # 更正减少

    @property
    def net(self) -> int:
        return (
            self.baseline
            + self.births
            - self.deaths
            + self.moved_in
            - self.moved_out
            + self.corrected_in
            - self.corrected_out
        )


def _outside(prefix: str, column: str) -> Q:
    """The other end of a move lies outside the region (or the register)."""
    return Q(**{column: ""}) | ~Q(**{f"{column}__startswith": prefix})


def _stock(period: str) -> Q:
    """Spells counted in the stock at the end of `period`, as approved."""
    return Q(open_period__lte=period) & ~Q(open_period="") & (Q(close_period="") | Q(close_period__gt=period))


# Spells opened or closed by a region correction or a reversal (更正增减).
CORRECTING = [Spell.Opened.CORRECTION, Spell.Opened.REVERSAL]


def _flow_counts(prefix: str, first: str, last: str) -> dict:
    opened = Q(open_period__gte=first, open_period__lte=last)
    closed = Q(close_period__gte=first, close_period__lte=last)
    moved_out = Q(close_reason=Spell.Closed.MOVE) & _outside(prefix, "destination_code")
    fixed_in = Q(open_reason__in=CORRECTING) & _outside(prefix, "origin_code")
    fixed_out = Q(close_reason__in=CORRECTING) & _outside(prefix, "destination_code")
    return {
        "baseline": Count("id", filter=opened & Q(open_reason=Spell.Opened.BASELINE)),
        "births": Count("id", filter=opened & Q(open_reason=Spell.Opened.BIRTH)),
        "moved_in": Count("id", filter=opened & Q(open_reason=Spell.Opened.MOVE) & _outside(prefix, "origin_code")),
        "deaths": Count("id", filter=closed & Q(close_reason=Spell.Closed.DEATH)),
        "moved_out": Count("id", filter=closed & (Q(close_reason=Spell.Closed.CANCEL) | moved_out)),
        "cancelled": Count("id", filter=closed & Q(close_reason=Spell.Closed.CANCEL)),
        "corrected_in": Count("id", filter=opened & fixed_in),
        "corrected_out": Count("id", filter=closed & fixed_out),
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


# Payload keys that are not typed in (encrypted ID parts, derived values).
DERIVED_KEYS = {
    "id_cipher",
    "id_index",
    "id_masked",
    "id_sex",
    "id_birth_date",
    "before_index",
    "after_name",
    "outcome_cipher",
}


def event_values(event: Event) -> dict:
    """What the form shows when a filed event is edited: the inputs as they
    were typed (an ID number, kept only encrypted, must be typed again)."""
    values = {k: v for k, v in (event.payload or {}).items() if k not in DERIVED_KEYS}
    if (event.payload or {}).get("outcome_cipher"):  # typed by the township or county, who may read it
        values["outcome"] = outcome_from_payload(event.payload)
    if event.event_type == EventType.CORRECTION and (event.payload or {}).get("field") == "citizen_id":
        values["before"], values["after"] = event.payload.get("before", ""), ""
    for key in ("person_id", "related_person_id", "household_id", "supersedes_id"):
        if getattr(event, key):
            values[key.removesuffix("_id")] = getattr(event, key)
    values["effective_date"] = event.effective_date.isoformat()
    return values


def event_comments(event: Event):
    """The reviewers' comments on one event, oldest first."""
    report = event.report
    return report.comments.filter(event=event).select_related("author") if report is not None else []


def report_due_date(period: str) -> dt.date:
    month = first_day(next_period(period))
    return month.replace(day=rules.due_day(month))


def villages_without_report(prefix: str, period: str) -> QuerySet[Region]:
    """The active villages under `prefix` with no village report (信息变更单 of
    source village, in any state) for `period` — a village with no changes
    files an empty one. Month close refuses while there are any."""
    reported = ChangeReport.objects.filter(
        region_code__startswith=prefix, period=period, source=Event.Source.VILLAGE
    ).values("region_id")
    return (
        Region.objects.filter(code__startswith=prefix, level=Level.VILLAGE, valid_to__isnull=True)
        .exclude(pk__in=reported)
        .order_by("code")
    )


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
    today = today or clock.today()
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
    by_village: dict[int, list[Any]] = {}  # the reports, annotated with n (their events)
    for r in reports:
        by_village.setdefault(r.region_id, []).append(r)
    out = []
    for v in villages:
        mine = by_village.get(v.pk, [])
        first = mine[0] if mine else None
        sent = timezone.localdate(first.submitted_at) if first and first.submitted_at else None
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
    kind: str  # event / spell / certificate (or a kind a later source adds)
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


# --- the person timeline: entries assembled from a registry of sources -------
#
# A source is `fn(person) -> iterable of TimelineEntry`, registered with an
# order (the rank of its entries among those of the same day). The events app
# registers its events, spells and the certificate-like records the register
# holds (the birth record with its 出生医学证明 number, marriage
# registrations); a certificates app (独生子女父母光荣证, 生育登记 …) adds its
# own with `@timeline_source("certificates", order=1)` in its AppConfig.ready.


@dataclass(frozen=True)
class TimelineSource:
    name: str
    order: int
    fn: Callable[[Any], Iterable[TimelineEntry]]  # person → entries


TIMELINE_SOURCES: dict[str, TimelineSource] = {}


def timeline_source(name: str, *, order: int):
    """Register (or replace) a source of person timeline entries."""

    def deco(fn):
        TIMELINE_SOURCES[name] = TimelineSource(name, order, fn)
        return fn

    return deco


def person_timeline(person, *, user=None) -> list[TimelineEntry]:
    """Every entry of every registered source, in date order (then by the
    sources' order, then as each source gave them). Events' reproductive
    details are shown (and their viewing audited) only to a `user` holding
    Cap.VIEW_REPRODUCTIVE."""
    entries = []
    for source in TIMELINE_SOURCES.values():
        entries += [(e.day, source.order, i, e) for i, e in enumerate(source.fn(person))]
    out = [e for *_, e in sorted(entries, key=lambda x: x[:3])]
    shown = [e for e in out if e.event is not None and e.event.event_type in REPRODUCTIVE_TYPES]
    if shown and reproductive_rules.can_view(user):
        reproductive_rules.record_viewing(
            actor=user, obj=person, region_code=person.responsible_code, what="person_timeline"
        )
        for e in shown:
            assert e.event is not None
            e.detail = f"事件 {e.event.pk}；{event_summary(e.event, reproductive=True)}".rstrip("；")
    return out


@timeline_source("events", order=0)
def _timeline_events(person):
    """Every event (as subject or as the other person), withdrawn ones left out."""
    events = (
        Event.objects.filter(Q(person=person) | Q(related_person=person))
        .exclude(review_status=Event.Review.WITHDRAWN)
        .select_related("report")
    )
    for e in events:
        role = "" if e.person_id == person.pk else "（作为" + _related_label(e) + "）"
        yield TimelineEntry(
            day=e.effective_date,
            kind="event",
            title=f"{_type_label(e.event_type)}{role}",
            detail=f"事件 {e.pk}；{event_summary(e)}".rstrip("；"),
            status=e.get_review_status_display(),
            period=e.approved_period,
            late=bool(e.report_id) and e.is_late,
            event=e,
        )


@timeline_source("register_certificates", order=1)
def _timeline_register_records(person):
    """The certificate-like records the register holds: the person's own
    birth record (出生医学证明, number masked), the births they are recorded
    as mother or father of, and marriage registrations and their ends."""
    own = Birth.objects.filter(child=person).select_related("mother", "father").first()
    if own is not None:
        parents = "、".join(f"{w}“{p.name}”" for w, p in (("母亲", own.mother), ("父亲", own.father)) if p)
        number = f"出生医学证明 {mask_certificate(own.certificate_no)}" if own.certificate_no else "无出生医学证明编号"
        order = f"孩次 {own.birth_order}" if own.birth_order else ""
        detail = "；".join(x for x in (number, parents, order) if x)
        yield TimelineEntry(person.birth_date, "certificate", "出生登记", detail)
    as_parent = Birth.objects.filter(Q(mother=person) | Q(father=person)).select_related("child")
    for b in as_parent.order_by("child__birth_date", "pk"):
        number = f"出生医学证明 {mask_certificate(b.certificate_no)}" if b.certificate_no else "无出生医学证明编号"
        order = f"；孩次 {b.birth_order}" if b.birth_order and b.mother_id == person.pk else ""
        yield TimelineEntry(b.child.birth_date, "certificate", f"子女“{b.child.name}”出生登记", number + order)
    for m in Marriage.objects.filter(Q(husband=person) | Q(wife=person)).select_related("husband", "wife"):
        other = m.wife if m.husband_id == person.pk else m.husband
        if m.date:
            yield TimelineEntry(m.date, "certificate", f"结婚登记：与“{other.name}”（{m.get_kind_display()}）")
        if m.end_date:
            reason = {"death": "配偶死亡", "divorce": "离婚"}.get(m.end_reason, m.end_reason)
            yield TimelineEntry(m.end_date, "certificate", f"与“{other.name}”的婚姻终止（{reason}）")


@timeline_source("spells", order=2)
def _timeline_spells(person):
    for s in person.spells.select_related("opened_by", "closed_by", "household"):
        where = f"{s.get_kind_display()} {s.region_code}（户 {s.household.number if s.household else '—'}）"
        yield TimelineEntry(
            s.start, "spell", f"开始{where}", f"{s.get_open_reason_display()}：{_type_label(s.opened_by.event_type)}"
        )
        if s.end is not None:
            closer = _type_label(s.closed_by.event_type) if s.closed_by else ""
            yield TimelineEntry(s.end, "spell", f"结束{where}", f"{s.get_close_reason_display()}：{closer}".strip("："))


def mask_certificate(number: str) -> str:
    """A certificate number in lists and timelines: first and last two
    characters shown, the rest starred."""
    number = number or ""
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def _related_label(event: Event) -> str:
    handler = handler_for(event.event_type)
    return (handler.RELATED or "关系人") if handler else "关系人"


# Payload items that are reproductive data (issue 14.7): shown only to roles
# holding Cap.VIEW_REPRODUCTIVE (pims.registry.reproductive).
REPRODUCTIVE_TYPES = frozenset(
    {
        EventType.PREGNANCY,
        EventType.PREG_OUTCOME,
        EventType.CONTRA_START,
        EventType.CONTRA_CHANGE,
        EventType.CONTRA_STOP,
    }
)
REPRODUCTIVE_KEYS = frozenset({"outcome", "method"})


def event_summary(event: Event, *, reproductive: bool = False) -> str:
    """A short description of an event's payload, without personal numbers;
    the outcome of a pregnancy and a contraceptive method only with
    `reproductive` (the reader holds Cap.VIEW_REPRODUCTIVE)."""
    p = dict(event.payload or {})
    if p.get("outcome_cipher"):
        p["outcome"] = outcome_from_payload(p)
    bits = []
    handler = handler_for(event.event_type)
    # Payload items that hold a code: shown by the code manual's name, with the code.
    code_tables = {f.name: f.table for f in getattr(handler, "FIELDS", []) if f.kind == "code" and f.table}
    if event.event_type == EventType.CORRECTION:
        from .handlers.correction import DESCRIPTIVE, field_label

        field = p.get("field", "")
        before, after = p.get("before", ""), p.get("after", "")
        table = DESCRIPTIVE.get(field, ("", ""))[1]
        if table:  # a code: its name, with the code
            before, after = code_label(table, before), code_label(table, after)
        bits.append(f"{field_label(field)}：“{before}” → “{after}”")
    if event.event_type == EventType.REVERSAL:
        bits.append(f"撤销事件 {event.supersedes_id}")
        if p.get("reason"):
            bits.append(f"原因 {p['reason']}")
    for key, label in (
        ("name", "姓名"),
        ("outcome", "结局"),
        ("method", "措施"),
        ("reason", "原因"),
        ("destination_code", "去向"),
        ("origin_code", "来源地"),
        ("new_household_number", "新户编号"),
    ):
        if p.get(key) and key in REPRODUCTIVE_KEYS and not reproductive:
            bits.append(f"{label} {reproductive_rules.HIDDEN_NOTE}")
        elif p.get(key) and event.event_type not in (EventType.CORRECTION, EventType.REVERSAL):
            code_table = code_tables.get(key)
            bits.append(f"{label} {code_label(code_table, p[key]) if code_table else p[key]}")
    return "；".join(bits)


def event_summaries(user, events, *, obj, region_code: str, what: str) -> list[str]:
    """The summaries of `events` as `user` may read them; one audit entry
    when they show reproductive details to a holder of the capability."""
    events = list(events)
    shown = reproductive_rules.can_view(user)
    if shown and any(e.event_type in REPRODUCTIVE_TYPES for e in events):
        reproductive_rules.record_viewing(actor=user, obj=obj, region_code=region_code, what=what)
    return [event_summary(e, reproductive=shown) for e in events]


@dataclass
class MemberSpan:
    person: Person
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
