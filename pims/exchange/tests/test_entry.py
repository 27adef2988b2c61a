import datetime as dt

import pytest
from django.urls import reverse

from pims.events.tests.conftest import approved_household
from pims.exchange.models import Kind, Message, State, Topic
from pims.lib import clock
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
        actor=personas["clerk"],
        data=data,
        members=members,
        village_code=regions["village_a1"].code,
        confirm_warnings=True,
    )
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


def _registered_in_b(personas, regions):
    """A woman registered in township B and her ID (the form of another place meets it)."""
    approved_household(personas, regions["village_b1"], seq=5)
    return make_citizen_id("210124", dt.date(1988, 4, 2), 22 + 2 * 5, "2")


def test_the_household_stays_pending_until_the_answer(codes, client_for, personas, regions):
    from pims.exchange import services
    from pims.lib.errors import Conflict
    from pims.registry.models import FormState, Household

    number = _registered_in_b(personas, regions)
    data, members = family_form(regions["village_a1"].code, number="0078", spouse_id=number)
    operator = client_for("operator")
    url = reverse("registry:household_create") + f"?village={regions['village_a1'].code}"
    offered = operator.post(url, form_post(data, members, village=regions["village_a1"].code)).content.decode()
    assert 'data-testid="save-and-ask"' in offered
    post = {
        **form_post(data, members, village=regions["village_a1"].code),
        "ask_exchange": "1",
        "confirm_warnings": "1",
    }
    resp = operator.post(url, post)
    hh = Household.objects.get(number="0078")
    assert resp.status_code == 302 and resp["Location"] == reverse("registry:household_detail", args=[hh.pk])
    assert "李四" not in [p.name for p in hh.members.all()]  # the person registered elsewhere is not entered twice
    inquiry = Message.objects.get(kind=Kind.INQUIRY)
    assert inquiry.household == hh and inquiry.state == State.DRAFT
    page = operator.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert 'data-testid="household-pending"' in page and "待协查反馈" in page
    # Pending blocks the submission, through the page and the service alike.
    operator.post(reverse("registry:household_submit", args=[hh.pk]), {"confirm_warnings": "1"})
    assert Household.objects.get(pk=hh.pk).form_state == FormState.DRAFT
    with pytest.raises(Conflict):
        registry.household_submit(actor=personas["operator"], household=hh, confirm_warnings=True)
    services.message_send(actor=personas["operator"], message=inquiry)
    services.message_receive(actor=personas["county"], message=inquiry)
    with pytest.raises(Conflict):
        registry.household_submit(actor=personas["operator"], household=hh, confirm_warnings=True)
    services.message_answer(actor=personas["county"], message=inquiry, text="户籍在三面船镇，现居本村")
    # The answer arrived: the household proceeds.
    page = operator.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert 'data-testid="household-pending"' not in page
    assert registry.household_submit(actor=personas["operator"], household=hh, confirm_warnings=True).saved


def test_the_edit_form_offer_keeps_the_household_pending(codes, client_for, personas, regions):
    number = _registered_in_b(personas, regions)
    data, members = family_form(regions["village_a1"].code, number="0079")
    result = registry.household_save(
        actor=personas["operator"],
        data=data,
        members=members,
        village_code=regions["village_a1"].code,
        confirm_warnings=True,
    )
    hh = result.household
    operator = client_for("operator")
    operator.post(reverse("exchange:inquiry_by_id"), {"citizen_id": number, "name": "李四", "household": hh.pk})
    assert Message.objects.get(kind=Kind.INQUIRY).household == hh
    # Another township's household cannot be made pending (404).
    other = approved_household(personas, regions["village_b1"], number="0099", seq=7)
    resp = operator.post(
        reverse("exchange:inquiry_by_id"), {"citizen_id": number, "name": "李四", "household": other.pk}
    )
    assert resp.status_code == 404


def test_a_move_in_form_meeting_an_id_registered_elsewhere_offers_the_same_inquiry(
    codes, client_for, personas, regions
):
    from pims.events import services as events
    from pims.events.tests.conftest import this_month

    number = _registered_in_b(personas, regions)
    target = approved_household(personas, regions["village_a1"], number="0080", seq=8)
    report = events.change_report_create(  # the police's move-ins, filed by the township
        actor=personas["operator"], region_code=regions["township_a"].code, period=this_month(), source="police"
    )
    operator = client_for("operator")
    values = {
        "event_type": "move_in",
        "effective_date": str(clock.today()),
        "name": "李四",
        "citizen_id": number,
        "sex": "2",
        "birth_date": "1988-04-02",
        "ethnicity": "01",
        "marital_status": "20",
        "hukou_type": "1",
        "relationship": "10",
        "household": target.pk,
    }
    persons = Person.objects.count()
    page = operator.post(reverse("events:report_event_create", args=[report.pk]), values)
    html = page.content.decode()
    assert page.status_code == 422 and 'data-testid="offer-inquiry-1"' in html
    assert "法库县" in html and "三面船镇" not in html  # through the county; where it is registered is not shown
    operator.post(
        reverse("exchange:inquiry_by_id"),
        {"citizen_id": number, "name": "李四", "residence_code": target.region_code, "household": target.pk},
    )
    m = Message.objects.get(kind=Kind.INQUIRY)
    assert m.receiver_code == regions["county"].code and m.household == target
    assert m.payload["residence_code"] == target.region_code
    assert Person.objects.count() == persons
