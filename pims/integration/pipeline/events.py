"""Stage 'load' for departmental records: an accepted record becomes an event
of its source's change report (pims.events) for the township the person
belongs to, this month — filed through `event_file`, so the events engine
judges it together with the report's other events exactly as it judges one
typed on the form, and the township's reviewer approves it like any report."""

from django.db import transaction

from pims.events import services as events
from pims.events.models import ChangeReport, Event, ReportState
from pims.events.periods import period_of
from pims.lib import clock
from pims.lib.errors import Conflict
from pims.regions.models import Level, Region
from pims.registry.models import Person

EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)
REPORT_BUSY = "本月该乡镇的{source}变更单已提交，待审核完成后才能继续登记"


def township_of(code: str) -> Region | None:
    region = Region.objects.filter(code=code, valid_to__isnull=True).select_related("parent").first()
    while region is not None and region.level != Level.TOWNSHIP:
        region = region.parent
    return region


def report_for(*, actor, source: str, person: Person) -> ChangeReport:
    """The open report of the person's township for this month and source,
    opened when there is none. Raises Conflict when it is already submitted."""
    township = township_of(person.registered_code) or township_of(person.responsible_code)
    if township is None:
        raise Conflict("人员的户籍地不在任何乡镇")
    period = period_of(clock.today())
    report = ChangeReport.objects.filter(
        region_code=township.code, period=period, source=source, state__in=ReportState.values
    ).exclude(state=ReportState.APPROVED)
    found = report.first()
    if found is None:
        return events.change_report_create(actor=actor, region_code=township.code, period=period, source=source)
    if found.state not in EDITABLE:
        raise Conflict(REPORT_BUSY.format(source=Event.Source(source).label))
    return found


def file_event(
    *,
    actor,
    source: str,
    event_type: str,
    person: Person,
    related: Person | None,
    date,
    subject_role: str = "person",
    data: dict | None = None,
) -> Event:
    """File one event in its own savepoint (a refusal leaves nothing behind).
    `person` decides the township's report and is the event's `subject_role`
    (the related person of a birth: the mother); `data` the type's items."""
    with transaction.atomic():
        report = report_for(actor=actor, source=source, person=person)
        data = {**(data or {}), subject_role: str(person.pk), "effective_date": date.isoformat()}
        if related is not None:
            data["related_person"] = str(related.pk)
        return events.event_file(actor=actor, report=report, event_type=event_type, data=data)
