"""A birth the register records links to the couple's 生育登记 (issue 16.1):
a matching birth is linked on approval and both pages show it; a birth that
does not match is held on the township's queue to link or dismiss."""

import datetime as dt

import pytest
from django.urls import reverse

from pims.documents import births, errors, queues
from pims.events import services as events
from pims.events.selectors import person_timeline
from pims.lib.errors import Conflict, NotPermitted
from pims.registry.models import Person, PersonStatus
from pims.registry.tests.factories import make_person

from .conftest import register

pytestmark = pytest.mark.django_db


def record_birth(personas, regions, mother, name, **data):
    """A village clerk files the birth, the township approves it."""
    from pims.events.periods import period_of
    from pims.lib import clock

    report = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=period_of(clock.today())
    )
    payload = {"related_person": mother.pk, "effective_date": "2027-06-01", "name": name, "sex": "1"}
    events.event_file(
        actor=personas["clerk"], report=report, event_type="birth", data=payload | {"relationship": "20"} | data
    )
    events.change_report_submit(actor=personas["clerk"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=report)
    return Person.objects.get(name=name)


@pytest.fixture
def awaiting(couple, personas, travel):
    registration = register(personas["operator"], couple[2])  # due 2027-06-01, the couple's first child
    travel(dt.date(2027, 6, 2))
    return registration


def test_the_approved_birth_links_to_the_registration_and_both_pages_show_it(
    awaiting, couple, personas, regions, client_for
):
    child = record_birth(personas, regions, couple[2], "张登记子")
    awaiting.refresh_from_db()
    assert awaiting.child == child and awaiting.child_uuid == child.uuid and awaiting.mismatch_child is None
    page = client_for("operator").get(reverse("documents:registration_detail", args=[awaiting.pk])).content.decode()
    assert 'data-testid="registration-child"' in page and "张登记子" in page
    entries = [e for e in person_timeline(child) if e.kind == "document"]
    assert [e.title for e in entries] == ["生育登记（子女）"] and awaiting.number in entries[0].detail
    timeline = client_for("operator").get(reverse("events:person_timeline", args=[child.pk])).content.decode()
    assert "生育登记（子女）" in timeline and awaiting.number in timeline
    assert queues.registrations_mismatched(personas["operator"]) == []


def test_a_birth_with_another_father_is_held_as_a_mismatch_not_linked(awaiting, couple, personas, regions):
    hh = couple[0]
    other = make_person(hh, 7, "1", dt.date(1979, 1, 1), "10", "10", name="王第三")
    child = record_birth(personas, regions, couple[2], "王不符子", father_id=other.pk)
    awaiting.refresh_from_db()
    assert awaiting.child is None and awaiting.mismatch_child == child
    assert awaiting.mismatch_reason == str(errors.MISMATCH_PARENTS)
    items = queues.registrations_mismatched(personas["operator"])
    assert [i.key for i in items] == [f"documents.registration_mismatch:{awaiting.pk}:{awaiting.version}"]
    assert queues.registrations_mismatched(personas["outsider"]) == []
    with pytest.raises(NotPermitted):
        births.registration_resolve_mismatch(actor=personas["outsider"], registration=awaiting, link=True)
    births.registration_resolve_mismatch(actor=personas["operator"], registration=awaiting, link=False)
    awaiting.refresh_from_db()
    assert awaiting.child is None and awaiting.mismatch_child is None
    assert queues.registrations_mismatched(personas["operator"]) == []
    with pytest.raises(Conflict):
        births.registration_resolve_mismatch(actor=personas["operator"], registration=awaiting, link=True)


def test_a_birth_of_another_order_is_held_and_the_township_may_link_it_from_the_page(
    couple, personas, regions, travel, client_for
):
    from pims.registry.tests.factories import make_child

    hh, husband, wife = couple
    first = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2010, 1, 1))
    registration = register(personas["operator"], wife)  # the second child
    assert registration.birth_order == 2
    first.status = PersonStatus.DEAD  # the first child died: the birth is now counted as the first
    first.save()
    travel(dt.date(2027, 6, 2))
    child = record_birth(personas, regions, wife, "张孩次子")
    registration.refresh_from_db()
    assert registration.child is None and registration.mismatch_child == child
    assert registration.mismatch_reason == str(errors.MISMATCH_ORDER) % {"registered": 2, "born": 1}
    url = reverse("documents:registration_detail", args=[registration.pk])
    page = client_for("operator").get(url).content.decode()
    assert 'data-testid="birth-mismatch"' in page and "张孩次子" in page
    mismatch = reverse("documents:registration_mismatch", args=[registration.pk])
    assert client_for("outsider").post(mismatch, {"link": "1"}).status_code == 404
    client_for("operator").post(mismatch, {"link": "1"})
    registration.refresh_from_db()
    assert registration.child == child and registration.mismatch_child is None
