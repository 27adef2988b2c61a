"""Checking and applying a batch of events (a change report).

Events are taken in occurrence order (effective date, then filing order)
against one in-memory `RegisterState`, so each sees the effects of the
earlier ones. A check (dry run) collects every refused event and writes
nothing; applying does the same and then either writes everything — the
register changes, the new spells, the events marked approved in the
current month — or, when any event is refused, raises `EventRefused`
naming each refused event so that the caller's transaction rolls back and
nothing changes.
"""

import copy
import datetime as dt

from django.utils import timezone

from pims.lib import clock
from pims.registry.checks.base import with_prefix

from .errors import EventRefused
from .handlers import handler_for, handler_of
from .handlers.catalogue import refuse
from .models import Event
from .periods import period_of
from .state import RegisterState


def ordered(events) -> list[Event]:
    return sorted(events, key=lambda e: (e.effective_date, e.pk or float("inf")))


def title(event: Event, state: RegisterState) -> str:
    handler = handler_for(event.event_type)
    kind = handler.LABEL if handler else event.event_type
    who = state.person(event.person_id) or state.person(event.related_person_id)
    name = who.name if who is not None else (event.payload or {}).get("name", "")
    number = f"事件 {event.pk}" if event.pk else "新事件"
    return f"{number}（{kind}{'，' + name if name else ''}，发生日期 {event.effective_date}）"


def _problems(event: Event, state: RegisterState) -> list[str]:
    handler = handler_for(event.event_type)
    if handler is None:
        return [refuse("E01", event_type=event.event_type)]
    if event.effective_date > state.today:
        return [refuse("E02", day=event.effective_date)]
    if event.report_date and event.effective_date > event.report_date:
        return [refuse("E03", day=event.effective_date, report_date=event.report_date)]
    return handler.validate(event, state)


def run(events, state: RegisterState) -> list[tuple[Event, list[str]]]:
    """Validate and apply (in memory) each event in order; a refused event
    is left out and reported, the rest go on."""
    refused = []
    for event in ordered(events):
        messages = _problems(event, state)
        if messages:
            refused.append((event, [with_prefix(m, f"{title(event, state)}：") for m in messages]))
            continue
        handler_of(event.event_type).apply(event, state)  # _problems found the handler
    return refused


def check(events, *, today: dt.date | None = None, actor=None) -> list[tuple[Event, list[str]]]:
    """A dry run: what would be refused if these events were applied now."""
    today = today or clock.today()
    # Handlers set fields on the events they apply (a birth's child): work
    # on copies so that a dry run leaves the caller's events untouched.
    twins = [copy.copy(event) for event in events]
    original = {id(twin): event for twin, event in zip(twins, events, strict=True)}
    state = RegisterState.load(twins, period=period_of(today), today=today, actor=actor)
    return [(original[id(twin)], messages) for twin, messages in run(twins, state)]


def apply(events, *, actor, approved_at: dt.datetime) -> RegisterState:
    """Apply every event or none; call inside a transaction. The events
    count in the month of `approved_at`."""
    events = list(events)
    today = timezone.localdate(approved_at)
    state = RegisterState.load(events, period=period_of(today), today=today, actor=actor, lock=True)
    refused = run(events, state)
    if refused:
        raise EventRefused(refused)
    for event in events:
        event.review_status = Event.Review.APPROVED
        event.approved_at = approved_at
        event.approved_by = actor
        event.approved_period = state.period
    state.flush(events)
    return state
