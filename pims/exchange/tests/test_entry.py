import datetime as dt

import pytest
from django.urls import reverse

from pims.events.tests.conftest import approved_household
from pims.exchange.models import Kind, Message, State, Topic
from pims.lib.citizen_id import make_citizen_id
from pims.registry import services as registry
from pims.registry.models import Person
from pims.registry.tests.conftest import family_form
from pims.registry.tests.test_views import form_post

pytestmark = pytest.mark.django_db


def test_an_id_registered_elsewhere_offers_an_inquiry_instead_of_a_second_record(codes, client_for, personas, regions):
    b_family = approved_household(personas, regions["village_b1"], seq=5)
    b_wife = b_family.members.get(name="李四")
    number = make_citizen_id("210124", dt.date(1988, 4, 2), 22 + 2 * 5, "2")
    data, members = family_form(regions["village_a1"].code, number="0077", spouse_id=number)
    operator = client_for("operator")
    url = reverse("registry:household_create") + f"?village={regions['village_a1'].code}"
    page = operator.post(url, form_post(data, members, village=regions["village_a1"].code))
    assert page.status_code == 422
    html = page.content.decode()
    # Offered through the county, which sees both sides; where it is registered is not shown (I29).
    assert 'data-testid="offer-inquiry-2"' in html and "法库县" in html and "三面船镇" not in html
    persons = Person.objects.count()
    resp = operator.post(
        reverse("exchange:inquiry_by_id"),
        {"citizen_id": number, "name": "李四", "residence_code": regions["village_a1"].code},
    )
    m = Message.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("exchange:message_detail", args=[m.pk])
    assert m.kind == Kind.INQUIRY and m.topic == Topic.REGISTERED_ELSEWHERE and m.state == State.DRAFT
    assert m.receiver_code == regions["county"].code and m.person == b_wife
    assert set(m.payload) == {"uuid", "name", "id_masked", "residence_code"}
    assert m.payload["residence_code"] == regions["village_a1"].code
    assert Person.objects.count() == persons  # no second record
    # Asking again gives the same inquiry; the form then links to it.
    operator.post(reverse("exchange:inquiry_by_id"), {"citizen_id": number, "name": "李四"})
    assert Message.objects.count() == 1
    again = operator.post(url, form_post(data, members, village=regions["village_a1"].code)).content.decode()
    assert 'data-testid="open-inquiry"' in again
    # A village clerk is not offered one (the township asks).
    clerk_page = client_for("clerk").post(url, form_post(data, members, village=regions["village_a1"].code))
    assert "offer-inquiry" not in clerk_page.content.decode()


def test_split_couple_is_the_wifes_places_and_the_husbands_place_is_notified(codes, personas, regions):
    data, members = family_form(regions["village_a1"].code, number="0088")
    members[0].update(registered_code=regions["village_b1"].code, residence_status="2")  # his hukou is in B
    result = registry.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code,
        confirm_warnings=True,
    )  # fmt: skip
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert registry.household_submit(actor=personas["clerk"], household=hh, confirm_warnings=True).saved
    registry.household_approve(actor=personas["reviewer"], household=hh)
    husband = hh.members.get(name="张三")
    assert husband.registered_code == regions["village_b1"].code
    assert husband.responsible_code == regions["village_a1"].code  # the wife's registered place
    notice = Message.objects.get(kind=Kind.NOTICE, topic=Topic.SPLIT_COUPLE)
    assert notice.receiver_code == regions["township_b"].code and notice.sender_code == regions["township_a"].code
    assert notice.person == husband and notice.payload["responsible_code"] == regions["village_a1"].code
    assert notice.state == State.SENT and not notice.forwarding
