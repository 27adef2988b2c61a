import datetime as dt

from django.db import transaction
from django.utils import timezone

from .models import Event, EventType, Spell


def baseline_open(*, actor, household, persons, baseline_date: dt.date) -> list[Event]:
    """Open each person's registered and resident spells with a baseline event
    (DESIGN.md §3). Called when a collection form is approved; a person who
    already has a baseline is skipped, so re-approval after a return is safe.
    Baseline is neither a birth nor a move and is reported separately."""
    already = set(
        Event.objects.filter(event_type=EventType.BASELINE, person__in=persons).values_list("person_id", flat=True)
    )
    now = timezone.now()
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
    return Spell(person=person, household=household, kind=kind, region_code=code, start=start, opened_by=event)
