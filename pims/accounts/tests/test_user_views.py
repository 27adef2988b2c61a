import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.accounts.roles import Role
from pims.accounts.services import user_create
from pims.audit.models import Action, AuditEntry
from pims.testing.fixtures import login

GOOD = "Kp7-wq2m-Vt9x"
OTHERS = ["clerk", "operator", "reviewer", "auditor", "outsider"]


def _new_user_data(**kw):
    data = {
        "username": "clerk_new",
        "password1": GOOD,
        "password2": GOOD,
        "role": Role.VILLAGE_CLERK,
        "region": "210124101201",
        "full_name": "李四",
        "phone": "",
        "allowed_networks": "",
    }
    data.update(kw)
    return data


def test_county_admin_creates_village_clerk_pending_approval(client_for, personas):
    resp = client_for("county").post(reverse("accounts:user_create"), _new_user_data())
    assert resp.status_code == 302
    user = personas["clerk"].__class__.objects.get(username="clerk_new")
    assert user.region.code == "210124101201" and user.role == Role.VILLAGE_CLERK
    assert not user.is_active  # four-eyes: active once a second administrator approves
    assert resp["Location"] == reverse("accounts:user_detail", args=[user.pk])
    assert AuditEntry.objects.filter(action=Action.CREATE, object_id=str(user.pk)).exists()


def test_sysadmin_cannot_create_village_clerk(client_for, personas):
    client = client_for("sysadmin")
    assert 'value="village_clerk"' not in client.get(reverse("accounts:user_create")).content.decode()
    resp = client.post(reverse("accounts:user_create"), _new_user_data())
    assert resp.status_code == 200
    assert not personas["clerk"].__class__.objects.filter(username="clerk_new").exists()


def test_wrong_role_level_is_refused_with_clear_message(client_for, personas):
    resp = client_for("county").post(
        reverse("accounts:user_create"), _new_user_data(role=Role.COUNTY_ADMIN, region="210124101000")
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "县管理员必须属于县/区级区划" in body
    assert not personas["clerk"].__class__.objects.filter(username="clerk_new").exists()


def test_weak_password_is_refused_on_create(client_for, personas):
    resp = client_for("county").post(
        reverse("accounts:user_create"), _new_user_data(password1="abc12345", password2="abc12345")
    )
    assert resp.status_code == 200
    assert "id_password1_error" in resp.content.decode()


def test_region_outside_subtree_is_refused(client_for, personas):
    resp = client_for("county").post(reverse("accounts:user_create"), _new_user_data(region="210200000000"))
    assert resp.status_code == 200
    assert "不在您的管辖范围内" in resp.content.decode()


@pytest.mark.parametrize("name", OTHERS)
def test_other_personas_get_404(client_for, personas, name):
    client = client_for(name)
    target = personas["clerk"].pk
    for url in [
        reverse("accounts:user_list"),
        reverse("accounts:user_create"),
        reverse("accounts:user_detail", args=[target]),
        reverse("accounts:user_edit", args=[target]),
        reverse("accounts:user_reset_password", args=[target]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("accounts:user_set_active", args=[target]),
        reverse("accounts:user_unlock", args=[target]),
        reverse("accounts:user_reset_2fa", args=[target]),
    ]:
        assert client.post(url, {"active": "0"}).status_code == 404, url
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].is_active


def test_sysadmin_of_another_county_cannot_see_user(client, personas, regions):
    from pims.regions.models import Level, Region

    other_county = Region.objects.create(
        code="210123000000", name="康平县", level=Level.COUNTY, parent=regions["city"], valid_from="2023-06-30"
    )
    admin = user_create(actor=None, username="kp_admin", password=GOOD, role=Role.SYSADMIN, region=other_county)
    login(client, admin)
    assert client.get(reverse("accounts:user_detail", args=[personas["clerk"].pk])).status_code == 404
    assert client.get(reverse("accounts:user_edit", args=[personas["clerk"].pk])).status_code == 404
    body = client.get(reverse("accounts:user_list")).content.decode()
    assert "kp_admin" in body and "clerk_a1" not in body


def test_sysadmin_without_2fa_is_sent_to_otp(client, personas):
    client.force_login(personas["sysadmin"])
    resp = client.get(reverse("accounts:user_list"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:otp")


def test_list_filters_and_shows_no_personal_data(client_for, personas):
    client = client_for("sysadmin")
    body = client.get(reverse("accounts:user_list"), {"role": Role.TOWNSHIP_OPERATOR}).content.decode()
    assert "operator_a" in body and "outsider_b" in body and "clerk_a1" not in body
    body = client.get(reverse("accounts:user_list"), {"region": "210124102000"}).content.decode()
    assert "outsider_b" in body and "operator_a" not in body
    personas["clerk"].is_active = False
    personas["clerk"].save()
    body = client.get(reverse("accounts:user_list"), {"active": "0"}).content.decode()
    assert "clerk_a1" in body and "operator_a" not in body


def test_list_and_forms_render(client_for, personas):
    client = client_for("county")
    assert "用户管理" in client.get(reverse("web:module", args=["system"])).content.decode()
    assert client.get(reverse("accounts:user_create")).status_code == 200
    pk = personas["operator"].pk
    body = client.get(reverse("accounts:user_detail", args=[pk])).content.decode()
    assert "乡镇录入员" in body
    resp = client.get(reverse("accounts:user_edit", args=[pk]))
    assert resp.status_code == 200 and 'value="210124101000"' in resp.content.decode()
    assert client.get(reverse("accounts:user_reset_password", args=[pk])).status_code == 200


def test_edit_deactivate_reset_unlock_2fa(client_for, personas):
    client = client_for("county")
    clerk, county = personas["clerk"], personas["operator"]
    resp = client.post(
        reverse("accounts:user_edit", args=[clerk.pk]),
        {"role": Role.VILLAGE_CLERK, "region": "210124101200", "full_name": "x", "phone": "", "allowed_networks": ""},
    )
    assert resp.status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "x"

    client.post(reverse("accounts:user_set_active", args=[clerk.pk]), {"active": "0"})
    clerk.refresh_from_db()
    assert not clerk.is_active

    resp = client.post(reverse("accounts:user_reset_password", args=[clerk.pk]), {"password1": "x", "password2": "x"})
    assert resp.status_code == 200 and "id_password1_error" in resp.content.decode()
    resp = client.post(reverse("accounts:user_reset_password", args=[clerk.pk]), {"password1": GOOD, "password2": GOOD})
    assert resp.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(GOOD)

    assert client.post(reverse("accounts:user_unlock", args=[clerk.pk])).status_code == 302
    TOTPDevice.objects.create(user=county, name="phone", confirmed=True)
    assert client.post(reverse("accounts:user_reset_2fa", args=[county.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=county).exists()


def test_sysadmin_cannot_deactivate_self(client_for, personas):
    admin = personas["sysadmin"]
    resp = client_for("sysadmin").post(reverse("accounts:user_set_active", args=[admin.pk]), {"active": "0"})
    assert resp.status_code == 302
    admin.refresh_from_db()
    assert admin.is_active
