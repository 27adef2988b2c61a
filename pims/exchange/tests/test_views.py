import pytest
from django.urls import reverse

from pims.exchange.models import Message, State

from .conftest import inquiry

pytestmark = pytest.mark.django_db


def test_queue_detail_and_actions_through_the_pages(client_for, personas, regions, couple):
    m = inquiry(personas["operator"], regions["township_b"], couple[1], text="请核实")
    county = client_for("county")
    page = county.get(reverse("exchange:queue") + "?q=route")
    assert page.status_code == 200 and couple[1].name in page.content.decode()
    detail = county.get(reverse("exchange:message_detail", args=[m.pk])).content.decode()
    assert 'data-testid="action-forward"' in detail
    county.post(reverse("exchange:message_forward", args=[m.pk]))
    outsider = client_for("outsider")
    assert couple[1].name in outsider.get(reverse("exchange:queue")).content.decode()
    outsider.post(reverse("exchange:message_receive", args=[m.pk]))
    outsider.post(reverse("exchange:message_answer", args=[m.pk]), {"text": "户籍在本镇"})
    m.refresh_from_db()
    assert m.state == State.ANSWERED and m.replies.get().text == "户籍在本镇"


def test_refused_action_shows_a_message_and_changes_nothing(client_for, personas, regions, couple):
    m = inquiry(personas["operator"], regions["county"], couple[1])
    county = client_for("county")
    resp = county.post(reverse("exchange:message_refuse", args=[m.pk]), {"reason": ""}, follow=True)
    assert "退回必须说明原因" in resp.content.decode()
    m.refresh_from_db()
    assert m.state == State.SENT


def test_new_message_form_creates_a_draft(client_for, personas, regions, couple):
    operator = client_for("operator")
    url = reverse("exchange:message_new") + f"?person={couple[1].pk}"
    assert operator.get(url).status_code == 200
    resp = operator.post(
        url,
        {
            "kind": "inquiry",
            "topic": "registered_elsewhere",
            "receiver_code": regions["county"].code,
            "priority": "normal",
            "person": couple[1].pk,
        },
    )
    m = Message.objects.get()
    assert resp.status_code == 302 and m.state == State.DRAFT and m.person == couple[1]


def test_outsider_and_clerk_get_404_for_a_message_between_others(client_for, personas, regions, couple):
    m = inquiry(personas["operator"], regions["county"], couple[1])
    for name in ("outsider", "clerk", "sysadmin"):
        client = client_for(name)
        assert client.get(reverse("exchange:message_detail", args=[m.pk])).status_code == 404
        assert client.post(reverse("exchange:message_receive", args=[m.pk])).status_code == 404
    assert client_for("outsider").get(reverse("exchange:message_new") + f"?person={couple[1].pk}").status_code == 404
    assert client_for("clerk").get(reverse("exchange:message_new")).status_code == 404


def test_person_page_links_to_a_new_message_about_the_person(client_for, couple):
    husband = couple[1]
    page = client_for("operator").get(reverse("registry:person_detail", args=[husband.pk])).content.decode()
    assert f"/exchange/new/?person={husband.pk}" in page
    clerk_page = client_for("clerk").get(reverse("registry:person_detail", args=[husband.pk])).content.decode()
    assert 'data-testid="exchange-link"' not in clerk_page


def test_a_message_between_two_other_townships_is_invisible_to_a_third(client_for, personas, regions, couple):
    import datetime as dt

    from pims.accounts.roles import Role
    from pims.exchange import selectors
    from pims.regions.models import Level, Region
    from pims.testing.fixtures import make_user

    township_c = Region.objects.create(
        code="210124103000",
        name="丁家房镇",
        level=Level.TOWNSHIP,
        parent=regions["county"],
        valid_from=dt.date(2023, 6, 30),
    )
    village_c = Region.objects.create(
        code="210124103200",
        name="丁家房村委会",
        level=Level.VILLAGE,
        parent=township_c,
        valid_from=dt.date(2023, 6, 30),
    )
    m = inquiry(personas["operator"], regions["township_b"], couple[1])  # township A → township B
    for user in (
        make_user("operator_c", Role.TOWNSHIP_OPERATOR, township_c),
        make_user("clerk_c1", Role.VILLAGE_CLERK, village_c),
    ):
        assert not selectors.message_list_visible_to(user=user).filter(pk=m.pk).exists()
        from django.test import Client

        client = Client()
        client.force_login(user)
        assert client.get(reverse("exchange:message_detail", args=[m.pk])).status_code == 404
        assert client.get(reverse("exchange:handover_list", args=[m.pk])).status_code == 404
        assert client.post(reverse("exchange:message_receive", args=[m.pk])).status_code == 404
        assert couple[1].name not in client.get(reverse("exchange:queue")).content.decode()
    assert Message.objects.get(pk=m.pk).state == State.SENT
