"""专人专机 devices (issue 14.12): the county administrator enrols a browser for
an account; an account with device binding signs in only from an enrolled
device, and from an allowed network as well when it has networks."""

import pytest
from django.test import Client
from django.urls import reverse

from pims.accounts import devices
from pims.accounts.models import Device
from pims.audit.models import Action, AuditEntry
from pims.testing.fixtures import PASSWORD

ENROLLED_NET, INSIDE, OUTSIDE = "10.1.0.0/16", "10.1.2.3", "192.0.2.5"


def _login(client, user, **extra):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD}, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def bound_clerk(personas):
    return devices.device_binding_set(actor=personas["county"], user=personas["clerk"], on=True)


def _enrol(client_for, user, label="1 号机") -> Client:
    """The county administrator enrols a browser for `user`; returns a fresh
    browser holding only that device's credential."""
    admin = client_for("county")
    resp = admin.post(reverse("accounts:device_enrol", args=[user.pk]), {"label": label})
    assert resp.status_code == 302
    browser = Client()
    browser.cookies[devices.cookie_name(user)] = resp.cookies[devices.cookie_name(user)].value
    return browser


def test_sign_in_from_a_device_not_enrolled_is_refused_and_audited(client, bound_clerk):
    resp = _login(client, bound_clerk)
    assert resp.status_code == 200 and not _signed_in(client)
    assert "专用设备" in resp.content.decode()
    entry = AuditEntry.objects.get(action=Action.ACCESS_DENIED, actor=bound_clerk)
    assert entry.detail == {"reason": "device"}


def test_an_enrolled_device_signs_in(client_for, bound_clerk):
    browser = _enrol(client_for, bound_clerk)
    assert _login(browser, bound_clerk).status_code == 302 and _signed_in(browser)
    device = Device.objects.get(user=bound_clerk)
    assert device.label == "1 号机" and device.last_used_at is not None
    enrolment = AuditEntry.objects.get(action=Action.CREATE, object_type="accounts.device")
    assert enrolment.detail["device_for"] == bound_clerk.pk


def test_an_enrolled_device_on_a_wrong_network_is_refused(client_for, bound_clerk):
    bound_clerk.allowed_networks = ENROLLED_NET
    bound_clerk.save()
    browser = _enrol(client_for, bound_clerk)
    resp = _login(browser, bound_clerk, REMOTE_ADDR=OUTSIDE)
    assert resp.status_code == 200 and not _signed_in(browser)
    assert "不允许从当前网络登录" in resp.content.decode()
    assert _login(browser, bound_clerk, REMOTE_ADDR=INSIDE).status_code == 302 and _signed_in(browser)


def test_the_right_network_without_the_device_is_refused(client, bound_clerk):
    bound_clerk.allowed_networks = ENROLLED_NET
    bound_clerk.save()
    resp = _login(client, bound_clerk, REMOTE_ADDR=INSIDE)
    assert resp.status_code == 200 and not _signed_in(client)
    assert "专用设备" in resp.content.decode()


def test_another_accounts_device_credential_does_not_count(client_for, personas, bound_clerk):
    browser = _enrol(client_for, personas["operator"])
    browser.cookies[devices.cookie_name(bound_clerk)] = browser.cookies[devices.cookie_name(personas["operator"])].value
    assert _login(browser, bound_clerk).status_code == 200 and not _signed_in(browser)


def test_revoking_ends_the_devices_session_and_its_sign_ins(client_for, personas, bound_clerk):
    browser = _enrol(client_for, bound_clerk)
    assert _login(browser, bound_clerk).status_code == 302
    device = Device.objects.get(user=bound_clerk)
    admin = client_for("county")
    admin.post(reverse("accounts:device_revoke", args=[bound_clerk.pk, device.pk]))

    resp = browser.get(reverse("web:dashboard"))
    assert resp.status_code == 302 and resp["Location"].endswith("?reason=device")
    assert _login(browser, bound_clerk).status_code == 200 and not _signed_in(browser)
    assert AuditEntry.objects.filter(action=Action.DELETE, object_type="accounts.device").exists()
    page = admin.get(reverse("accounts:user_detail", args=[bound_clerk.pk])).content.decode()
    assert "已撤销" in page and "1 号机" in page


def test_accounts_without_binding_sign_in_anywhere(client, personas):
    assert _login(client, personas["clerk"]).status_code == 302


def test_only_the_county_administrator_enrols(client_for, personas):
    clerk = personas["clerk"]
    for who in ("sysadmin", "operator", "clerk"):
        resp = client_for(who).post(reverse("accounts:device_enrol", args=[clerk.pk]), {"label": "x"})
        assert resp.status_code == 404, who
    assert not Device.objects.exists()


def test_switching_the_binding_is_audited(client_for, personas):
    clerk = personas["clerk"]
    client_for("county").post(reverse("accounts:device_binding", args=[clerk.pk]), {"on": "1"})
    clerk.refresh_from_db()
    assert clerk.device_binding
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_type="accounts.user").latest("id")
    assert entry.detail["device_binding"] is True
