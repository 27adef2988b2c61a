"""Writes of the annual cycle: one service per transition.

    cycle_open (county) ──job──▶ entries at 待村级评议 (candidates: pass or missing data)
    entry_village_review (village clerk)   candidate ──▶ village | rejected   (re-judged now)
    notice_publish (village clerk)         village   ──▶ notice (公示, period from params)
    entry_township_review (reviewer)       notice    ──▶ township | rejected  (after the notice ends)
    cycle_confirm (county)                 township  ──▶ confirmed, locked; the cycle confirmed
    roster_build (county)                  名册 of the confirmed, not stopped, not pending a stop
    roster_paid (county)                   payments recorded
    stop_record (county)                   a death / move / exit found on the county's queue

Every service takes `actor`, checks capability, region and state, records
a `Step` (who, when, comment) and an audit row in its transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Refused
from pims.params.selectors import param_value
from pims.regions.models import Level
from pims.regions.scope import code_in_scope, user_prefix
from pims.registry.models import Person

from . import eligibility, errors
from .eligibility import Outcome
from .models import (
    Change,
    Cycle,
    Entry,
    FactKind,
    Notice,
    PersonFact,
    Policy,
    Programme,
    Roster,
    RosterLine,
    Stage,
    Step,
    Stop,
)

BATCH = 2000


def _require(actor, cap: str, code: str = "") -> None:
    if not has_capability(actor, cap) or (code and not code_in_scope(actor, code)):
        raise NotPermitted(f"{cap} {code}")


def _audit(actor, action: str, obj, detail: dict) -> None:
    region = getattr(obj, "village_code", "") or getattr(obj, "county_code", "")
    audit_record(actor=actor, action=action, obj=obj, region_code=region, detail=detail)


def county_prefix(code: str) -> str:
    return code[:6]


# --- facts -------------------------------------------------------------------

FACT_VALUES: dict[str, set[str]] = {
    FactKind.POLICY: set(Policy.values),
    FactKind.DISABILITY: {"1", "2", "3", "4"},
    FactKind.HUKOU: {"0", "1", "2", "3", "4", "5", "6", "7", "8"},
    FactKind.RURAL: {""},
}


def fact_record(
    *,
    actor,
    person: Person,
    kind: str,
    value: str = "",
    number: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    source: str,
) -> PersonFact:
    """Record a fact the eligibility rules read (from a document the family showed)."""
    _require(actor, Cap.RECORD_PROGRAMME_FACTS, person.registered_code)
    if kind not in FACT_VALUES or value not in FACT_VALUES[kind]:
        label = FactKind(kind).label if kind in FactKind.values else kind
        raise Invalid(errors.FACT_VALUE_INVALID, value=value, kind=label)
    with transaction.atomic():
        fact = PersonFact.objects.create(
            person=person,
            kind=kind,
            value=value,
            number=number,
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor, action=Action.CREATE, obj=fact, region_code=person.registered_code, detail={"kind": kind}
        )
    return fact


# --- the cycle ---------------------------------------------------------------


def cycle_open(*, actor, programme: str, year: int) -> Cycle:
    """Start a programme's year in the actor's county and queue the
    candidate run (a job: the whole county is judged set-wise)."""
    from pims.jobs.services import job_enqueue

    _require(actor, Cap.PROGRAMME_COUNTY)
    if actor.region.level != Level.COUNTY:
        raise Refused(errors.NOT_A_COUNTY)
    if programme not in Programme.values:
        raise Invalid(errors.FACT_VALUE_INVALID, value=programme, kind="项目")
    eligibility.Context.for_year(programme, year)  # every parameter in force, or refuse now
    with transaction.atomic():
        if Cycle.objects.filter(programme=programme, year=year, county_code=actor.region.code).exists():
            raise Conflict(errors.CYCLE_EXISTS, programme=Programme(programme).label, year=year)
        cycle = Cycle.objects.create(
            programme=programme, year=year, county_code=actor.region.code, opened_at=timezone.now(), opened_by=actor
        )
        _audit(actor, Action.CREATE, cycle, {"programme": programme, "year": year})
    job_enqueue(
        kind="programme_candidates",
        actor=actor,
        region_code=cycle.county_code,
        args={"cycle": cycle.pk},
        subject=cycle,
    )
    return cycle


def candidates_run(cycle: Cycle, progress=None) -> dict:
    """Judge the county's persons and add every one who passes or lacks
    data as a candidate. Resumable: a person already entered is skipped
    (unique cycle + person), so a re-run adds only what is missing."""
    ctx = eligibility.Context.for_year(cycle.programme, cycle.year)
    persons = Person.objects.filter(registered_code__startswith=county_prefix(cycle.county_code))
    persons = persons.filter(eligibility.screen(cycle.programme, ctx))
    previous = set(
        Entry.objects.filter(
            cycle__programme=cycle.programme,
            cycle__year=cycle.year - 1,
            cycle__county_code=cycle.county_code,
            stage=Stage.CONFIRMED,
            stop__isnull=True,
        ).values_list("person_id", flat=True)
    )
    added = seen = 0
    batch: list[Entry] = []
    for result in eligibility.evaluate(cycle.programme, persons, year=cycle.year, exclude_failed=True):
        seen += 1
        batch.append(
            Entry(
                cycle=cycle,
                person_id=result.person_id,
                village_code=result.row["registered_code"],
                outcome=result.outcome,
                verdicts=[[v.rule_id, v.outcome, v.reason] for v in result.verdicts],
                change=Change.CONTINUED if result.person_id in previous else Change.NEW,
                tefu_kind=result.tefu_kind if result.outcome == Outcome.PASS else "",
            )
        )
        if len(batch) >= BATCH:
            added += _insert(batch)
            batch = []
            if progress:
                progress(seen, 0, "资格判定")
    added += _insert(batch)
    return {"judged": seen, "added": added}


def _insert(batch: list[Entry]) -> int:
    if not batch:
        return 0
    before = Entry.objects.filter(cycle=batch[0].cycle).count()
    Entry.objects.bulk_create(batch, ignore_conflicts=True)
    return Entry.objects.filter(cycle=batch[0].cycle).count() - before


def _open(cycle: Cycle) -> None:
    if cycle.state != Cycle.State.OPEN:
        raise Conflict(errors.CYCLE_LOCKED)


def _move(actor, entries: list[Entry], to: str, comment: str) -> None:
    now = timezone.now()
    Step.objects.bulk_create(
        Step(entry=e, from_stage=e.stage, to_stage=to, actor=actor, at=now, comment=comment) for e in entries
    )
    Entry.objects.filter(pk__in=[e.pk for e in entries]).update(stage=to, comment=comment)
    for e in entries:
        e.stage, e.comment = to, comment


def _review(actor, entry: Entry, cap: str, expected: str, approve: bool, comment: str, passed: str) -> Entry:
    _require(actor, cap, entry.village_code)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().select_related("cycle").get(pk=entry.pk)
        _open(entry.cycle)
        if entry.stage != expected:
            raise Conflict(errors.WRONG_STAGE, stage=Stage(entry.stage).label)
        if not approve and not comment.strip():
            raise Refused(errors.COMMENT_REQUIRED)
        to = passed if approve else Stage.REJECTED
        _move(actor, [entry], to, comment.strip())
        _audit(actor, Action.UPDATE, entry, {"stage": to})
    return entry


def entry_village_review(*, actor, entry: Entry, approve: bool, comment: str = "") -> Entry:
    """村级评议: approve (after judging the person again today — a fact
    recorded since the run counts) or reject with a reason."""
    if approve:
        result = eligibility.eligibility_of(entry.cycle.programme, entry.person, year=entry.cycle.year)
        if result.outcome != Outcome.PASS:
            _require(actor, Cap.PROGRAMME_VILLAGE, entry.village_code)
            open_reasons = "；".join(v.reason for v in result.verdicts if v.outcome != Outcome.PASS)
            raise Refused(errors.NOT_ELIGIBLE_NOW, reasons=open_reasons)
        Entry.objects.filter(pk=entry.pk, stage=Stage.CANDIDATE).update(
            outcome=result.outcome,
            verdicts=[[v.rule_id, v.outcome, v.reason] for v in result.verdicts],
            tefu_kind=result.tefu_kind,
        )
    return _review(actor, entry, Cap.PROGRAMME_VILLAGE, Stage.CANDIDATE, approve, comment, Stage.VILLAGE)


def notice_publish(*, actor, cycle: Cycle, village_code: str) -> Notice:
    """村级公示 of every entry the village approved; the notice period is
    read from the parameter table on the day of publication."""
    _require(actor, Cap.PROGRAMME_VILLAGE, village_code)
    today = clock.today()
    days = param_value("programme.notice_days", today)
    with transaction.atomic():
        _open(Cycle.objects.select_for_update().get(pk=cycle.pk))
        entries = list(cycle.entries.select_for_update().filter(village_code=village_code, stage=Stage.VILLAGE))
        if not entries:
            raise Refused(errors.NOTHING_TO_PUBLISH)
        notice, _ = Notice.objects.update_or_create(
            cycle=cycle,
            village_code=village_code,
            defaults={"published_on": today, "ends_on": today + dt.timedelta(days=days - 1), "published_by": actor},
        )
        _move(actor, entries, Stage.NOTICE, f"公示至 {notice.ends_on.isoformat()}")
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=notice,
            region_code=village_code,
            detail={"entries": len(entries), "ends_on": notice.ends_on.isoformat()},
        )
    return notice


def _notice_over(entry: Entry) -> None:
    notice = Notice.objects.filter(cycle_id=entry.cycle_id, village_code=entry.village_code).first()
    if notice is None:
        raise Conflict(errors.NO_NOTICE)
    if clock.today() <= notice.ends_on:
        raise Conflict(errors.NOTICE_RUNNING, ends=notice.ends_on.isoformat())


def entry_township_review(*, actor, entry: Entry, approve: bool, comment: str = "") -> Entry:
    """乡镇初审 of an entry whose village notice has ended."""
    _require(actor, Cap.PROGRAMME_TOWNSHIP, entry.village_code)
    _notice_over(entry)
    return _review(actor, entry, Cap.PROGRAMME_TOWNSHIP, Stage.NOTICE, approve, comment, Stage.TOWNSHIP)


def township_review_all(*, actor, cycle: Cycle, comment: str = "") -> int:
    """乡镇初审: pass every entry of the actor's township whose notice has
    ended (one statement per stage; the entries still on notice stay)."""
    _require(actor, Cap.PROGRAMME_TOWNSHIP)
    prefix = user_prefix(actor) or "-"
    today = clock.today()
    with transaction.atomic():
        _open(Cycle.objects.select_for_update().get(pk=cycle.pk))
        ended = Notice.objects.filter(cycle=cycle, village_code__startswith=prefix, ends_on__lt=today)
        entries = list(
            cycle.entries.select_for_update().filter(
                stage=Stage.NOTICE, village_code__in=ended.values("village_code"), village_code__startswith=prefix
            )
        )
        _move(actor, entries, Stage.TOWNSHIP, comment.strip())
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=cycle,
            region_code=actor.region.code,
            detail={"township_review": len(entries)},
        )
    return len(entries)


def cycle_confirm(*, actor, cycle: Cycle, comment: str = "") -> Cycle:
    """县级确认: every township-approved entry is confirmed and locked; the
    cycle is confirmed (entries not yet through the township stay out)."""
    _require(actor, Cap.PROGRAMME_COUNTY, cycle.county_code)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _open(cycle)
        entries = list(cycle.entries.select_for_update().filter(stage=Stage.TOWNSHIP))
        if not entries:
            raise Refused(errors.NOTHING_TO_CONFIRM)
        _move(actor, entries, Stage.CONFIRMED, comment.strip())
        cycle.entries.filter(stage=Stage.CONFIRMED).update(locked=True)
        cycle.state = Cycle.State.CONFIRMED
        cycle.confirmed_at, cycle.confirmed_by, cycle.comment = timezone.now(), actor, comment.strip()
        cycle.save(update_fields=["state", "confirmed_at", "confirmed_by", "comment"])
        _audit(actor, Action.UPDATE, cycle, {"confirmed": len(entries)})
    return cycle


def amount_of(cycle: Cycle, tefu_kind: str = "") -> Decimal:
    """The year's amount per person from the parameter table (on 1 January
    of the cycle's year; 特扶's monthly rate × 12)."""
    day = dt.date(cycle.year, 1, 1)
    if cycle.programme == Programme.JIANGFU:
        return Decimal(param_value("jiangfu.amount", day))
    key = "tefu.amount.death" if tefu_kind == "death" else "tefu.amount.disability"
    return Decimal(param_value(key, day)) * 12


def roster_build(*, actor, cycle: Cycle) -> Roster:
    """The next 名册: every confirmed entry not stopped and not waiting on
    the county's stop queue (a payee who died since is left out at once)."""
    from .selectors import stops_pending

    _require(actor, Cap.PROGRAMME_COUNTY, cycle.county_code)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state != Cycle.State.CONFIRMED:
            raise Conflict(errors.CYCLE_NOT_CONFIRMED)
        pending = {p.entry.pk for p in stops_pending(cycle)}
        number = cycle.rosters.count() + 1
        roster = Roster.objects.create(cycle=cycle, number=number, created_at=timezone.now(), created_by=actor)
        payable = cycle.entries.filter(stage=Stage.CONFIRMED, stop__isnull=True).exclude(pk__in=pending)
        amounts = {kind: amount_of(cycle, kind) for kind in ("", "death", "disability")}
        RosterLine.objects.bulk_create(
            (
                RosterLine(roster=roster, entry_id=pk, amount=amounts[kind])
                for pk, kind in payable.values_list("pk", "tefu_kind")
            ),
            batch_size=BATCH,
        )
        _audit(
            actor, Action.CREATE, roster, {"number": number, "lines": roster.lines.count(), "left_out": len(pending)}
        )
    return roster


def roster_paid(*, actor, roster: Roster, paid_on: dt.date) -> Roster:
    """Record that the paying agent paid the 名册 on `paid_on`."""
    _require(actor, Cap.PROGRAMME_COUNTY, roster.cycle.county_code)
    with transaction.atomic():
        roster = Roster.objects.select_for_update().get(pk=roster.pk)
        if roster.paid_on is not None:
            raise Conflict(errors.WRONG_STAGE, stage="已发放")
        roster.paid_on, roster.paid_recorded_by = paid_on, actor
        roster.save(update_fields=["paid_on", "paid_recorded_by"])
        _audit(actor, Action.UPDATE, roster, {"paid_on": paid_on.isoformat()})
    return roster


def stop_record(*, actor, entry: Entry, reason: str, detail: str = "") -> Stop:
    """Stop a confirmed entry's payment (from the county's stop queue)."""
    _require(actor, Cap.PROGRAMME_COUNTY, entry.cycle.county_code)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        if entry.stage != Stage.CONFIRMED:
            raise Conflict(errors.WRONG_STAGE, stage=Stage(entry.stage).label)
        if Stop.objects.filter(entry=entry).exists():
            raise Conflict(errors.ALREADY_STOPPED)
        stop = Stop.objects.create(entry=entry, reason=reason, detail=detail[:200], at=timezone.now(), by=actor)
        audit_record(
            actor=actor, action=Action.CREATE, obj=stop, region_code=entry.village_code, detail={"reason": reason}
        )
    return stop


def candidates_job(ctx, *, cycle: int) -> dict:
    """The job of `cycle_open` (pims.jobs kind programme_candidates)."""
    return candidates_run(Cycle.objects.get(pk=cycle), progress=ctx.progress)
