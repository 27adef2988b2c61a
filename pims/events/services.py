"""Writes of the events app: the baseline of a collected household, and the
monthly change report's state machine

    draft ──submit──▶ submitted ──approve──▶ approved
      ▲                   │
      └──── returned ◀────┘ return (with comments)

with one service per transition (checking state, role and region) and the
filing / withdrawing of events while a report is a draft or returned.
Approving applies all of the report's events in one transaction
(pims.events.engine): one refused event and nothing is applied.
Every service takes `actor` and writes its audit row in its transaction.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from pims.approval import errors as approval_errors
from pims.approval.selectors import period_locked
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.documents.births import registrations_link_births
from pims.exchange.notices import notify_other_jurisdictions
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.models import Region
from pims.regions.scope import code_in_scope

from . import engine, errors, rules
from .errors import EventRefused
from .forms import parse_event
from .models import ChangeReport, ChangeReportComment, Event, EventType, ReportState, Spell
from .periods import is_period, period_of
from .spell_attrs import spell_attrs_of

EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)


# --- baseline -------------------------------------------------------------------


def baseline_open(*, actor, household, persons, baseline_date: dt.date) -> list[Event]:
    """Open each person's registered and resident spells with a baseline event
    (DESIGN.md §3). Called when a collection form is approved; a person who
    already has a baseline is skipped, so re-approval after a return is safe.
    Baseline is neither a birth nor a move and is reported separately; it
    counts in the month the form is approved."""
    already = set(
        Event.objects.filter(event_type=EventType.BASELINE, person__in=persons).values_list("person_id", flat=True)
    )
    now = clock.now()
    period = period_of(timezone.localdate(now))
    events, spells = [], []
    with transaction.atomic():
        for person in persons:
            if person.pk in already:
                continue
            event = Event.objects.create(
                event_type=EventType.BASELINE,
                person=person,
                household=household,
                region_code=person.registered_code,
                effective_date=baseline_date,
                report_date=baseline_date,
                source=Event.Source.CLERK,
                reporter=actor,
                review_status=Event.Review.APPROVED,
                approved_at=now,
                approved_by=actor,
                approved_period=period,
            )
            events.append(event)
            spells.append(
                _spell(person, household, Spell.Kind.REGISTERED, person.registered_code, baseline_date, event)
            )
            # The resident spell is where the person actually lives: the same
            # village for 人户一致, another region for 户在人不在.
            spells.append(_spell(person, household, Spell.Kind.RESIDENT, person.residence_code, baseline_date, event))
        Spell.objects.bulk_create(spells)
    return events


def _spell(person, household, kind, code, start, event) -> Spell:
    return Spell(
        person=person,
        household=household,
        kind=kind,
        region_code=code,
        start=start,
        opened_by=event,
        open_reason=Spell.Opened.BASELINE,
        open_period=event.approved_period,
        **spell_attrs_of(person),
    )


# --- change reports ---------------------------------------------------------------


def change_report_create(*, actor, region_code: str, period: str, source: str = Event.Source.VILLAGE) -> ChangeReport:
    """Open a draft report for a region, month and source."""
    region = Region.objects.filter(code=region_code, valid_to__isnull=True).first()
    if region is None or not code_in_scope(actor, region.code) or source not in rules.sources_for(actor):
        raise NotPermitted(errors.REPORT_NOT_FILEABLE_HERE)
    if not rules.may_file(actor, source=source, region=region):  # a region of the wrong level for the source
        raise Invalid(
            errors.REPORT_NOT_FILEABLE_HERE, problems=[Problem(errors.REPORT_NOT_FILEABLE_HERE, field="region_code")]
        )
    if not is_period(period) or period > period_of(clock.today()):
        shown = period[:20]
        raise Invalid(
            errors.REPORT_PERIOD_INVALID,
            period=shown,
            problems=[Problem(errors.REPORT_PERIOD_INVALID % {"period": shown}, field="period")],
        )
    if period_locked(region.code, period):  # an approved month takes no more reports (issue 19.1)
        raise Conflict(approval_errors.PERIOD_LOCKED, region=region.name, period=period)
    try:
        with transaction.atomic():
            report = ChangeReport.objects.create(
                region=region, region_code=region.code, period=period, source=source, created_by=actor
            )
            _audit(actor, Action.CREATE, report, {"period": period, "source": source})
    except IntegrityError:
        raise Conflict(
            errors.REPORT_PERIOD_TAKEN, region=region.name, period=period, source=Event.Source(source).label
        ) from None
    return report


def _locked(report: ChangeReport) -> ChangeReport:
    return ChangeReport.objects.select_for_update().select_related("region").get(pk=report.pk)


def _locked_report_of(event: Event) -> ChangeReport:
    """The report the event was filed in, locked; an event filed without one
    (loaded by an import) is no clerk's to change."""
    if event.report is None:
        raise NotPermitted(errors.REPORT_NOT_YOURS_TO_FILE)
    return _locked(event.report)


def _check_filer(actor, report: ChangeReport) -> None:
    if not rules.may_file(actor, source=report.source, region=report.region):
        raise NotPermitted(errors.REPORT_NOT_YOURS_TO_FILE)
    if report.state not in EDITABLE:
        raise Conflict(errors.REPORT_NOT_EDITABLE)


def _pending(report: ChangeReport) -> list[Event]:
    return list(report.events.filter(review_status=Event.Review.PENDING).order_by("effective_date", "id"))


def event_file(*, actor, report: ChangeReport, event_type: str, data: dict) -> Event:
    """Add an event to a draft or returned report. The input is read
    (`forms.parse_event`) and the event checked against the register together
    with the report's other events; a refused event is not stored."""
    if event_type not in rules.SOURCE_TYPES.get(report.source, []):
        raise Conflict(
            errors.REPORT_TYPE_NOT_FOR_SOURCE,
            source=Event.Source(report.source).label,
            type=EventType(event_type).label,
        )
    with transaction.atomic():
        report = _locked(report)
        _check_filer(actor, report)
        parsed = parse_event(actor=actor, report=report, event_type=event_type, data=data)
        if parsed.errors:
            raise EventRefused([(None, parsed.errors)])
        event = _new_event(actor, report, event_type, parsed)
        refused = engine.check([*_pending(report), event], actor=actor)
        mine = [messages for e, messages in refused if e is event]
        if mine:
            raise EventRefused([(None, mine[0])])
        event.save()
        _audit(actor, Action.CREATE, event, {"event_type": event_type, "report": report.pk}, event.region_code)
    return event


def events_file_bulk(*, actor, report: ChangeReport, items: list[tuple[str, dict]]) -> list[Event]:
    """File many events at once (an import from the police or civil affairs):
    every item is read, and all are stored or none; the register rules run
    when the report is submitted and approved, not per item."""
    with transaction.atomic():
        report = _locked(report)
        _check_filer(actor, report)
        events, problems = [], []
        for i, (event_type, data) in enumerate(items, start=1):
            if event_type not in rules.SOURCE_TYPES.get(report.source, []):
                problems.append((None, [errors.BULK_TYPE_NOT_FOR_SOURCE % {"item": i, "type": event_type}]))
                continue
            parsed = parse_event(actor=actor, report=report, event_type=event_type, data=data)
            if parsed.errors:
                problems.append((None, [f"第 {i} 条：{m}" for m in parsed.errors]))
                continue
            events.append(_new_event(actor, report, event_type, parsed))
        if problems:
            raise EventRefused(problems)
        Event.objects.bulk_create(events, batch_size=1000)
        _audit(actor, Action.LOAD, report, {"events": len(events)})
    return events


def _new_event(actor, report, event_type, parsed) -> Event:
    f = parsed.fields
    return Event(
        event_type=event_type,
        person=f.get("person"),
        related_person=f.get("related_person"),
        household=f.get("household"),
        supersedes=f.get("supersedes"),
        region_code=_event_region(report, f),
        effective_date=f["effective_date"],
        report_date=clock.today(),
        source=report.source,
        reporter=actor,
        report=report,
        payload=parsed.payload,
    )


def _event_region(report, fields) -> str:
    """The village the event belongs to, for scoping: the subject's (or the
    household's) region inside the report's region, else the report's."""
    prefix = report.region.prefix
    person = fields.get("person") or fields.get("related_person")
    codes = [person.responsible_code, person.registered_code, person.residence_code] if person else []
    if fields.get("household") is not None:
        codes.append(fields["household"].region_code)
    return next((c for c in codes if c.startswith(prefix)), report.region_code)


def event_withdraw(*, actor, event: Event) -> Event:
    """Take a pending event out of its draft or returned report. The row
    stays (events are append-only), marked withdrawn."""
    with transaction.atomic():
        report = _locked_report_of(event)
        _check_filer(actor, report)
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.review_status != Event.Review.PENDING:
            raise Conflict(errors.EVENT_NOT_PENDING_WITHDRAW)
        event.review_status = Event.Review.WITHDRAWN
        event.save(update_fields=["review_status"])
        _audit(actor, Action.UPDATE, event, {"transition": "withdraw"}, event.region_code)
    return event


def event_revise(*, actor, event: Event, data: dict) -> Event:
    """Replace a pending event of a draft or returned report by a corrected
    one (the clerk's answer to a reviewer's comment). Events stay
    append-only: the old one is marked withdrawn and the new one filed in
    its place, checked like any other; if it is refused nothing changes."""
    with transaction.atomic():
        report = _locked_report_of(event)
        _check_filer(actor, report)
        old = Event.objects.select_for_update().get(pk=event.pk)
        if old.review_status != Event.Review.PENDING:
            raise Conflict(errors.EVENT_NOT_PENDING_REVISE)
        parsed = parse_event(actor=actor, report=report, event_type=old.event_type, data=data)
        if parsed.errors:
            raise EventRefused([(None, parsed.errors)])
        new = _new_event(actor, report, old.event_type, parsed)
        others = [e for e in _pending(report) if e.pk != old.pk]
        mine = [messages for e, messages in engine.check([*others, new], actor=actor) if e is new]
        if mine:
            raise EventRefused([(None, mine[0])])
        old.review_status = Event.Review.WITHDRAWN
        old.save(update_fields=["review_status"])
        new.save()
        _audit(actor, Action.UPDATE, old, {"transition": "revise", "replaced_by": new.pk}, old.region_code)
        _audit(actor, Action.CREATE, new, {"event_type": new.event_type, "report": report.pk}, new.region_code)
    return new


def change_report_check(report: ChangeReport, *, actor=None) -> list[tuple[Event, list[str]]]:
    """What the register rules would refuse if the report were approved now."""
    return engine.check(_pending(report), actor=actor)


def change_report_submit(*, actor, report: ChangeReport) -> ChangeReport:
    """Send a draft or returned report to the township; refused while any
    of its events breaks a rule."""
    with transaction.atomic():
        report = _locked(report)
        _check_filer(actor, report)
        refused = engine.check(_pending(report), actor=actor)
        if refused:
            raise EventRefused(refused)
        report.state = ReportState.SUBMITTED
        report.submitted_by = actor
        report.submitted_at = clock.now()
        report.version += 1
        report.save(update_fields=["state", "submitted_by", "submitted_at", "version"])
        _audit(actor, Action.UPDATE, report, {"transition": "submit", "events": len(_pending(report))})
    return report


def _check_reviewer(actor, report: ChangeReport) -> None:
    if not rules.reviews_region(actor, report.region_code):
        raise NotPermitted(errors.REPORT_NOT_YOURS_TO_REVIEW)
    if rules.filed_by(actor, report):
        raise Conflict(errors.REVIEW_OWN_REPORT)
    if report.state != ReportState.SUBMITTED:
        raise Conflict(errors.REPORT_NOT_SUBMITTED)


def change_report_return(*, actor, report: ChangeReport, comments: list[dict]) -> ChangeReport:
    """Return a submitted report with comments, each {message, event_id?,
    field?}; a comment naming an event that is not the report's is refused."""
    comments = [c for c in comments if (c.get("message") or "").strip()]
    if not comments:
        raise Conflict(errors.RETURN_NEEDS_COMMENT)
    with transaction.atomic():
        report = _locked(report)
        _check_reviewer(actor, report)
        ids = set(report.events.values_list("pk", flat=True))
        strangers = [str(c["event_id"]) for c in comments if c.get("event_id") and c["event_id"] not in ids]
        if strangers:
            raise Conflict(errors.RETURN_COMMENT_STRANGERS, events="、".join(strangers))
        ChangeReportComment.objects.bulk_create(
            ChangeReportComment(
                report=report,
                event_id=c.get("event_id") or None,
                field=(c.get("field") or "").strip()[:40],
                message=c["message"].strip(),
                author=actor,
            )
            for c in comments
        )
        report.state = ReportState.RETURNED
        report.reviewed_by, report.reviewed_at = actor, clock.now()
        report.version += 1
        report.save(update_fields=["state", "reviewed_by", "reviewed_at", "version"])
        _audit(actor, Action.UPDATE, report, {"transition": "return", "comments": len(comments)})
    return report


def change_report_approve(*, actor, report: ChangeReport) -> ChangeReport:
    """Approve a submitted report: all its pending events are applied to the
    register in this transaction and count in this month; if any is refused,
    `EventRefused` names each refused event and nothing is applied."""
    with transaction.atomic():
        report = _locked(report)
        _check_reviewer(actor, report)
        now = clock.now()
        events = _pending(report)
        engine.apply(events, actor=actor, approved_at=now)
        _audit_applied(actor, events)
        notify_other_jurisdictions(actor=actor, events=events)
        registrations_link_births(actor=actor, events=events)
        report.state = ReportState.APPROVED
        report.reviewed_by, report.reviewed_at = actor, now
        report.version += 1
        report.save(update_fields=["state", "reviewed_by", "reviewed_at", "version"])
        _audit(actor, Action.UPDATE, report, {"transition": "approve", "events": len(events)})
    return report


def change_reports_approve(*, actor, reports: list[ChangeReport]) -> list[ChangeReport]:
    """Approve several submitted reports (a township's month) as one batch:
    their events are applied together, in occurrence order, in one
    transaction; if any event is refused, none is applied and the message
    names the event (and so its report)."""
    with transaction.atomic():
        locked = [_locked(r) for r in sorted(reports, key=lambda r: r.pk)]
        for report in locked:
            _check_reviewer(actor, report)
        now = clock.now()
        events = [e for report in locked for e in _pending(report)]
        engine.apply(events, actor=actor, approved_at=now)
        _audit_applied(actor, events)
        notify_other_jurisdictions(actor=actor, events=events)
        registrations_link_births(actor=actor, events=events)
        for report in locked:
            report.state = ReportState.APPROVED
            report.reviewed_by, report.reviewed_at = actor, now
            report.version += 1
        ChangeReport.objects.bulk_update(locked, ["state", "reviewed_by", "reviewed_at", "version"])
        for report in locked:
            _audit(actor, Action.UPDATE, report, {"transition": "approve", "batch": len(locked)})
    return locked


def _audit_applied(actor, events: list[Event]) -> None:
    """An audit row per person whose identity was corrected (the ID number,
    masked before and after) and per reversed event, beside the report's."""
    for e in events:
        p = e.payload or {}
        if e.event_type == EventType.CORRECTION and p.get("field") == "citizen_id":
            detail = {"field": "citizen_id", "before": p.get("before", ""), "after": p.get("after", ""), "event": e.pk}
            audit_record(actor=actor, action=Action.UPDATE, obj=e.person, region_code=e.region_code, detail=detail)
        elif e.event_type == EventType.REVERSAL:
            detail = {"transition": "reverse", "reversed": e.supersedes_id, "event": e.pk}
            audit_record(actor=actor, action=Action.UPDATE, obj=e.person, region_code=e.region_code, detail=detail)


def _audit(actor, action, obj, detail, region_code: str = "") -> None:
    audit_record(actor=actor, action=action, obj=obj, region_code=region_code or obj.region_code, detail=detail)
