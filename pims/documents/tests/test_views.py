import datetime as dt

import pytest
from django.urls import reverse

from pims.documents.models import BirthRegistration, RegistrationState
from pims.registry.models import Marriage
from pims.registry.tests.factories import make_child, make_household, make_person

from .conftest import register

pytestmark = pytest.mark.django_db


def test_the_application_page_prefills_the_couple_and_explains_the_order(client_for, couple, regions):
    hh, husband, wife = couple
    other = make_household(regions["village_a1"])
    ex = make_person(other, 1, "2", dt.date(1981, 1, 1), "02", "40", name="前妻甲")
    Marriage.objects.create(husband=husband, wife=ex, date=dt.date(2000, 1, 1), end_date=dt.date(2004, 1, 1))
    make_child(other, 2, mother=ex, father=husband, birth_date=dt.date(2002, 3, 1), name="前婚子女")
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1), name="共同子女")
    page = client_for("operator").get(reverse("documents:registration_new") + f"?person={wife.pk}").content.decode()
    assert husband.name in page and wife.name in page
    assert "前婚子女" in page and "男方与前配偶所生子女，不计入孩次" in page
    assert 'data-testid="derived-order"><strong>登记孩次：2' in page


def test_registering_through_the_page_then_cancelling(client_for, couple):
    _, husband, _ = couple
    operator = client_for("operator")
    url = reverse("documents:registration_new") + f"?person={husband.pk}"
    resp = operator.post(url, {"person": husband.pk, "due_date": "2027-06-01", "method": "on_site", "commitment": "on"})
    reg = BirthRegistration.objects.get()
    assert resp.status_code == 302 and reg.state == RegistrationState.ISSUED
    detail = operator.get(reverse("documents:registration_detail", args=[reg.pk])).content.decode()
    assert reg.number in detail and 'data-testid="action-cancel"' in detail
    operator.post(reverse("documents:registration_cancel", args=[reg.pk]), {"reason": "error"})
    reg.refresh_from_db()
    assert reg.state == RegistrationState.CANCELLED
    listing = operator.get(reverse("documents:registration_list")).content.decode()
    assert reg.number in listing and "已注销" in listing


def test_a_refused_application_keeps_the_input_and_names_the_rule(client_for, couple):
    _, husband, _ = couple
    url = reverse("documents:registration_new") + f"?person={husband.pk}"
    resp = client_for("operator").post(
        url, {"person": husband.pk, "due_date": "2027-06-01", "method": "on_site", "husband_employer": "某厂"}
    )
    body = resp.content.decode()
    assert resp.status_code == 422
    assert "承诺" in body and 'value="某厂"' in body and 'value="2027-06-01"' in body
    assert not BirthRegistration.objects.exists()


def test_an_unknown_id_number_says_register_first(client_for, couple):
    page = client_for("operator").get(reverse("documents:registration_new") + "?citizen_id=210124199001011234")
    assert "先建立再办理" in page.content.decode()


def test_the_menu_lists_the_pages_per_role(client_for, couple):
    url = reverse("web:module", args=["services"])
    operator = client_for("operator").get(url).content.decode()
    assert reverse("documents:registration_list") in operator and reverse("documents:registration_new") in operator
    county = client_for("county").get(url).content.decode()
    assert reverse("documents:registration_list") in county
    assert reverse("documents:registration_list") not in client_for("sysadmin").get(url).content.decode()


def test_outsider_and_sysadmin_get_404(client_for, personas, couple):
    reg = register(personas["operator"], couple[1])
    for name in ("outsider", "sysadmin"):
        client = client_for(name)
        assert client.get(reverse("documents:registration_detail", args=[reg.pk])).status_code == 404
        assert (
            client.post(reverse("documents:registration_cancel", args=[reg.pk]), {"reason": "error"}).status_code == 404
        )
    assert (
        client_for("outsider").get(reverse("documents:registration_new") + f"?person={couple[1].pk}").status_code == 404
    )
    reg.refresh_from_db()
    assert reg.state == RegistrationState.ISSUED


def test_the_honour_pages_show_each_condition_and_walk_the_three_steps(client_for, couple):
    from pims.documents.models import HonourCertificate, HonourState

    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1), name="独生乙")
    clerk = client_for("clerk")
    page = clerk.get(reverse("documents:honour_new") + f"?child={child.pk}").content.decode()
    assert (
        'data-testid="check-H1" data-result="pass"' in page and 'data-testid="check-H5" data-result="missing"' in page
    )
    refused = clerk.post(reverse("documents:honour_new"), {"child": child.pk})
    assert refused.status_code == 422 and not HonourCertificate.objects.exists()
    clerk.post(reverse("documents:honour_new"), {"child": child.pk, "commitment": "1", "comment": "属实"})
    cert = HonourCertificate.objects.get()
    client_for("reviewer").post(reverse("documents:honour_township", args=[cert.pk]), {"approve": "1"})
    county = client_for("county")
    county.post(reverse("documents:honour_county", args=[cert.pk]), {"approve": "1", "comment": "同意"})
    cert.refresh_from_db()
    assert cert.state == HonourState.ISSUED
    detail = county.get(reverse("documents:honour_detail", args=[cert.pk])).content.decode()
    assert cert.number in detail and 'data-testid="action-revoke"' in detail
    county.post(reverse("documents:honour_revoke", args=[cert.pk]), {"reason": "fraud"})
    cert.refresh_from_db()
    assert cert.state == HonourState.REVOKED
    for name in ("outsider", "sysadmin"):
        client = client_for(name)
        assert client.get(reverse("documents:honour_detail", args=[cert.pk])).status_code == 404
        assert client.get(reverse("documents:honour_new") + f"?child={child.pk}").status_code == 404
