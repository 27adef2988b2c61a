"""Automatic 通报 (issue 18.5): an approved event that matters to another
jurisdiction — a birth, pregnancy, move-in, marriage or death of a person
whose registered or responsible region lies in another township — notifies
that township once (a DB constraint per event and place). Called by the
events' approval services, inside their transaction, after the events are
applied (so the persons' codes are the new ones).

A notice that cannot be delivered in this instance (the place is not in the
region table, e.g. another province) is left for the outgoing bundle.
"""

from __future__ import annotations

from pims.events.models import Event, EventType
from pims.regions.models import Level, Region

from . import rules, services
from .models import Message, Topic

EVENT_TOPICS = {
    EventType.BIRTH: Topic.BIRTH,
    EventType.PREGNANCY: Topic.PREGNANCY,
    EventType.MOVE_IN: Topic.MOVE_IN,
    EventType.FLOW_IN: Topic.MOVE_IN,
    EventType.MARRIAGE: Topic.MARRIAGE,
    EventType.REMARRIAGE: Topic.MARRIAGE,
    EventType.DEATH: Topic.DEATH,
}


def notify_other_jurisdictions(*, actor, events: list[Event]) -> list[Message]:
    """One 通报 per event and other place concerned; returns those created."""
    pks = [e.pk for e in events if e.event_type in EVENT_TOPICS]
    if not pks:
        return []
    fresh = list(Event.objects.filter(pk__in=pks).select_related("person", "related_person").order_by("pk"))
    wanted = [(e, p, place) for e in fresh for p, place in _places(e)]
    in_force = set(
        Region.objects.filter(
            code__in={place for _, _, place in wanted}, level=Level.TOWNSHIP, valid_to__isnull=True
        ).values_list("code", flat=True)
    )
    created = []
    seen: set[tuple[int, str]] = set()
    for event, person, place in wanted:
        if place not in in_force or (event.pk, place) in seen:
            continue
        seen.add((event.pk, place))
        extra = _extra(event)
        topic = EVENT_TOPICS[EventType(event.event_type)]
        message = services.notice_from_event(
            actor=actor, event=event, receiver_code=place, topic=topic, person=person, extra=extra
        )
        if message is not None:
            created.append(message)
    return created


def _places(event: Event):
    """(subject, township) pairs: the townships, other than the event's,
    where a person of the event is registered or managed. A birth's subject
    is its mother."""
    here = rules.node_code(event.region_code, Level.TOWNSHIP)
    persons = [event.related_person] if event.event_type == EventType.BIRTH else [event.person, event.related_person]
    for p in filter(None, persons):
        for code in (p.registered_code, p.responsible_code):
            if code:
                place = rules.node_code(code, Level.TOWNSHIP)
                if place != here:
                    yield p, place


def _extra(event: Event) -> dict:
    extra = {}
    if event.event_type == EventType.BIRTH and event.person is not None:
        extra["child_uuid"] = str(event.person.uuid)
    if event.event_type in (EventType.MARRIAGE, EventType.REMARRIAGE) and event.related_person is not None:
        extra["spouse_uuid"] = str(event.related_person.uuid)
        extra["spouse_registered_code"] = event.related_person.registered_code
    return extra
