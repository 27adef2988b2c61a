import pytest

from pims.events import services as events
from pims.events.models import Event
from pims.events.periods import period_of
from pims.events.tests.conftest import approved_household, members
from pims.exchange import notices, selectors, services
from pims.exchange.models import Kind, Message, State, Topic
from pims.lib import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def wife_registered_in_b(codes, personas, regions):
    """李四 of a family approved in village A1, her hukou in township B."""
    hh = approved_household(personas, regions["village_a1"])
    wife = members(hh)["李四"]
    wife.registered_code = regions["village_b1"].code
    wife.save(update_fields=["registered_code"])
    return hh, wife


def approve_pregnancy(personas, regions, wife) -> Event:
    report = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=period_of(clock.today())
    )
    event = events.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="pregnancy",
        data={"person": wife.pk, "effective_date": clock.today().isoformat()},
    )
    events.change_report_submit(actor=personas["clerk"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=report)
    return event


def test_approved_pregnancy_of_a_woman_registered_elsewhere_notifies_her_hukou_place(
    personas, regions, wife_registered_in_b
):
    _, wife = wife_registered_in_b
    event = approve_pregnancy(personas, regions, wife)
    notice = Message.objects.get(source_event=event)
    assert notice.kind == Kind.NOTICE and notice.topic == Topic.PREGNANCY and notice.state == State.SENT
    assert notice.sender_code == regions["township_a"].code and notice.receiver_code == regions["township_b"].code
    assert notice.person == wife and notice.payload["event_uuid"] == str(event.uuid)
    assert "id_cipher" not in notice.payload and set(notice.payload) <= set(
        services.rules.payload_fields(Kind.NOTICE, Topic.PREGNANCY)
    )
    # Delivered straight to the receiver's queue; its receipt is the acknowledgement.
    assert list(selectors.queue(personas["outsider"], "inbox")) == [notice]
    services.message_receive(actor=personas["outsider"], message=notice)
    notice.refresh_from_db()
    assert notice.state == State.RECEIVED and notice.received_by == personas["outsider"] and notice.closed_at
    assert not selectors.queue(personas["outsider"], "inbox").exists()


def test_the_same_event_never_notifies_twice(personas, regions, wife_registered_in_b):
    event = approve_pregnancy(personas, regions, wife_registered_in_b[1])
    assert notices.notify_other_jurisdictions(actor=personas["reviewer"], events=[event]) == []
    assert Message.objects.filter(source_event=event).count() == 1


def test_an_event_of_local_persons_notifies_nobody(codes, personas, regions):
    hh = approved_household(personas, regions["village_a1"])
    event = approve_pregnancy(personas, regions, members(hh)["李四"])
    assert not Message.objects.filter(source_event=event).exists()
