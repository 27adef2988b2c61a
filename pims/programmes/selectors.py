"""Reads of the programmes, each scoped to the user's jurisdiction: a
cycle is visible in its county and above it, an entry in its village and
above it; everything else answers 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Region
from pims.regions.scope import user_prefix
from pims.registry.models import Person

from . import eligibility
from .eligibility import Outcome
from .models import Cycle, Entry, Programme, Roster, Stage, Stop, StopReason

DEAD, MOVED_OUT, CANCELLED = "2", "3", "4"


def _prefix(user) -> str | None:
    if not has_capability(user, Cap.VIEW_PROGRAMMES):
        return None
    return user_prefix(user)


def cycle_list_visible_to(*, user) -> QuerySet[Cycle]:
    """Cycles of the user's county (for a county or a region below it) or of
    the counties under the user's city / province."""
    prefix = _prefix(user)
    if prefix is None:
        return Cycle.objects.none()
    q = Q(county_code__startswith=prefix)
    if len(prefix) >= 6:
        q |= Q(county_code=prefix[:6] + "000000")
    return Cycle.objects.filter(q)


def access_cycle(user, pk) -> Cycle:
    try:
        return cycle_list_visible_to(user=user).get(pk=pk)
    except (Cycle.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def entry_list_visible_to(*, user, cycle: Cycle | None = None) -> QuerySet[Entry]:
    prefix = _prefix(user)
    if prefix is None:
        return Entry.objects.none()
    qs = Entry.objects.filter(village_code__startswith=prefix)
    return qs.filter(cycle=cycle) if cycle is not None else qs


def access_entry(user, pk) -> Entry:
    try:
        return entry_list_visible_to(user=user).select_related("cycle", "person").get(pk=pk)
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_roster(user, pk) -> Roster:
    """A 名册 for the county's programme administrators only."""
    if not has_capability(user, Cap.PROGRAMME_COUNTY):
        raise Http404
    try:
        return Roster.objects.select_related("cycle").get(pk=pk, cycle__in=cycle_list_visible_to(user=user))
    except (Roster.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def stage_counts(entries: QuerySet[Entry]) -> dict[str, int]:
    counts = dict.fromkeys(Stage.values, 0)
    for row in entries.order_by().values("stage").annotate(n=Count("pk")):
        counts[row["stage"]] = row["n"]
    return counts


def village_counts(entries: QuerySet[Entry]) -> list[dict]:
    """Per village: its name and the count of entries in each stage."""
    rows: dict[str, dict] = {}
    for r in entries.order_by().values("village_code", "stage").annotate(n=Count("pk")):
        rows.setdefault(r["village_code"], dict.fromkeys(Stage.values, 0))[r["stage"]] = r["n"]
    names = dict(Region.objects.filter(code__in=rows).values_list("code", "name"))
    return [{"code": code, "name": names.get(code, code), **rows[code]} for code in sorted(rows)]


def with_people(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    return entries.select_related("person").order_by("village_code", "person__name", "pk")


@dataclass(frozen=True)
class PendingStop:
    entry: Entry
    reason: str
    detail: str

    @property
    def reason_label(self) -> str:
        return str(StopReason(self.reason).label)


def stops_pending(cycle: Cycle) -> list[PendingStop]:
    """Confirmed, unstopped entries whose person died, moved away or (特扶)
    no longer meets T1/T2 — set-wise, one query per kind of stop."""
    prefix = cycle.county_code[:6]
    base = cycle.entries.filter(stage=Stage.CONFIRMED, stop__isnull=True).select_related("person")
    out = [
        PendingStop(e, StopReason.DEATH, f"死亡日期 {e.person.death_date or '不详'}")
        for e in base.filter(person__status=DEAD)
    ]
    moved = base.exclude(person__status=DEAD).filter(
        Q(person__status__in=[MOVED_OUT, CANCELLED]) | ~Q(person__registered_code__startswith=prefix)
    )
    out += [PendingStop(e, StopReason.MOVED, f"户籍地 {e.person.registered_code}") for e in moved]
    if cycle.programme == Programme.TEFU:
        alive = base.exclude(pk__in=[p.entry.pk for p in out])
        ctx = eligibility.Context.for_year(cycle.programme, cycle.year)
        persons = Person.objects.filter(pk__in=alive.values("person_id"))
        failing = eligibility.annotated(cycle.programme, persons, ctx).filter(
            Q(o_t1=Outcome.FAIL) | Q(o_t2=Outcome.FAIL)
        )
        by_person = {e.person_id: e for e in alive.filter(person_id__in=failing.values("pk"))}
        if by_person:
            results = eligibility.evaluate(
                cycle.programme, Person.objects.filter(pk__in=list(by_person)), year=cycle.year
            )
            for r in results:
                reasons = "；".join(v.reason for v in r.verdicts if v.rule_id in ("T1", "T2"))
                out.append(PendingStop(by_person[r.person_id], StopReason.EXIT, reasons[:200]))
    return out


def stops_recorded(cycle: Cycle) -> QuerySet[Stop]:
    return Stop.objects.filter(entry__cycle=cycle).select_related("entry__person", "by").order_by("-at")


def notice_entries(cycle: Cycle, village_code: str) -> QuerySet[Entry]:
    """The 公示 list of a village: the entries published (and their later stages)."""
    published = (Stage.NOTICE, Stage.TOWNSHIP, Stage.CONFIRMED)
    return with_people(cycle.entries.filter(village_code=village_code, stage__in=published))


@dataclass(frozen=True)
class ChangeRow:
    category: str
    name: str
    village_code: str
    reason: str


CHANGE_LABELS = {"new": "新增", "continued": "继续", "stopped": "停发", "moved": "迁出"}


def change_list(cycle: Cycle, entries: QuerySet[Entry]) -> list[ChangeRow]:
    """Year-on-year: this year's entries (new or continued, rejected ones
    left out) and last year's confirmed payees who are not among them —
    stopped, with the reason, or moved away."""
    current = entries.exclude(stage=Stage.REJECTED)
    rows = [ChangeRow(CHANGE_LABELS[e.change], e.person.name, e.village_code, "") for e in with_people(current)]
    last = Cycle.objects.filter(programme=cycle.programme, year=cycle.year - 1, county_code=cycle.county_code).first()
    if last is None:
        return rows
    now = cycle.entries.exclude(stage=Stage.REJECTED).values("person_id")
    gone = with_people(
        last.entries.filter(stage=Stage.CONFIRMED, village_code__in=entries.values("village_code")).exclude(
            person_id__in=now
        )
    )
    stops = {s.entry_id: s for s in Stop.objects.filter(entry__in=gone)}
    rejected = {
        e.person_id: e for e in cycle.entries.filter(stage=Stage.REJECTED, person_id__in=gone.values("person_id"))
    }
    for e in gone:
        stop = stops.get(e.pk)
        if stop is not None:
            category = "moved" if stop.reason == StopReason.MOVED else "stopped"
            reason = f"{StopReason(stop.reason).label}：{stop.detail}"
        elif e.person_id in rejected:
            category, reason = "stopped", f"{Stage.REJECTED.label}：{rejected[e.person_id].comment}"
        else:
            category, reason = "stopped", "本年度资格判定未通过"
        rows.append(ChangeRow(CHANGE_LABELS[category], e.person.name, e.village_code, reason))
    return rows


def benefits_of(person: Person) -> list[dict]:
    """A person's reward and support (奖励扶助 / 特别扶助) as a handover list
    records them (DOMAIN.md §8): per programme the latest year's entry that
    was not rejected, its stage, whether payment stopped, and the paying
    place (the cycle's county) — so that the receiving side does not pay twice."""
    out: dict[str, dict] = {}
    entries = (
        Entry.objects.filter(person=person)
        .exclude(stage=Stage.REJECTED)
        .select_related("cycle", "stop")
        .order_by("-cycle__year", "-pk")
    )
    for e in entries:
        if e.cycle.programme in out:
            continue
        stop = getattr(e, "stop", None)
        out[e.cycle.programme] = {
            "programme": e.cycle.programme,
            "programme_label": str(Programme(e.cycle.programme).label),
            "year": e.cycle.year,
            "stage": e.stage,
            "stage_label": str(Stage(e.stage).label),
            "paying": e.stage == Stage.CONFIRMED and stop is None,
            "stopped": str(StopReason(stop.reason).label) if stop is not None else "",
            "paying_code": e.cycle.county_code,
        }
    return list(out.values())
