"""Sign-in hardening: password policy, hashing, lockout, idle timeout, 2FA and
专人专机 networks, exercised through the real login pages."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.audit.models import Action, AuditEntry
from pims.testing.fixtures import PASSWORD, login

LOGIN = "/accounts/login/"


def _login(client, username, password, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


# --- passwords -----------------------------------------------------------------------


def test_argon2_is_the_hasher(real_hashers, personas):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert personas["clerk"].password.startswith("argon2")


@pytest.mark.parametrize(
    ("new", "fragment"),
    [("Ab3-xyz", "10"), ("clerk_a1_x", "相似"), ("password123", "常见"), ("8264957310", "数字")],
)
def test_password_change_page_rejects_weak_password(client_for, personas, new, fragment):
    resp = client_for("clerk").post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert resp.status_code == 200
    assert fragment in resp.content.decode()
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].check_password(PASSWORD)


def test_password_change_updates_timestamp_and_audits(client_for, personas):
    client = client_for("clerk")
    new = "Vq4-tr8n-Hs2w"
    resp = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert resp.status_code == 302
    clerk = personas["clerk"]
    clerk.refresh_from_db()
    assert clerk.check_password(new) and clerk.password.startswith("argon2")
    assert clerk.password_changed_at is not None
    assert AuditEntry.objects.filter(action=Action.PASSWORD_CHANGE, actor=clerk).exists()
    # the session survives its own password change
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_length_validator_speaks_chinese():
    from django.core.exceptions import ValidationError

    from pims.accounts.validators import MinimumLengthValidator

    with pytest.raises(ValidationError) as exc:
        MinimumLengthValidator(min_length=10).validate("Ab3-xyz")
    assert exc.value.messages == ["密码太短，至少需要 10 个字符。"]


def test_password_change_needs_2fa_for_2fa_roles(client, personas):
    client.force_login(personas["county"])
    resp = client.get(reverse("accounts:password_change"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:otp")


# --- lockout -------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_30_minutes(client, personas):
    username = personas["clerk"].username
    for _ in range(5):
        resp = _login(client, username, "wrong-password-1")
        assert "_auth_user_id" not in client.session
    # 6th attempt, right password: refused while locked
    resp = _login(client, username, PASSWORD)
    assert resp.status_code == 429
    assert "账户已锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session

    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED, actor_username=username).count() >= 5
    assert AuditEntry.objects.filter(action=Action.LOCKOUT, actor_username=username).exists()

    # 30 minutes later the lock has cooled off
    AccessAttempt.objects.filter(username=username).update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    resp = _login(client, username, PASSWORD)
    assert resp.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["clerk"].pk)


def test_unlock_by_county_admin_lifts_lockout(client, client_for, personas):
    username = personas["clerk"].username
    for _ in range(5):
        _login(client, username, "wrong-password-1")
    assert _login(client, username, PASSWORD).status_code == 429
    client_for("county").post(reverse("accounts:user_unlock", args=[personas["clerk"].pk]))
    assert _login(client, username, PASSWORD).status_code == 302


def test_successful_login_is_audited(client, personas):
    assert _login(client, personas["clerk"].username, PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=personas["clerk"]).exists()


def test_logout_requires_post(client_for):
    client = client_for("clerk")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# --- idle timeout -------------------------------------------------------------------


def test_idle_timeout_settings():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_expired_session_is_signed_out(client_for):
    client = client_for("clerk")
    assert client.get(reverse("web:dashboard")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    resp = client.get(reverse("web:dashboard"))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("accounts:login"))


# --- two-factor ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["county", "sysadmin", "auditor"])
def test_2fa_roles_cannot_reach_dashboard_without_token(client, personas, name):
    assert _login(client, personas[name].username, PASSWORD).status_code == 302
    resp = client.get(reverse("web:dashboard"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:otp")


def test_valid_totp_confirms_device_and_lets_user_in(client, personas):
    county = personas["county"]
    _login(client, county.username, PASSWORD)
    resp = client.get(reverse("accounts:otp"))
    body = resp.content.decode()
    assert resp.status_code == 200 and "设置双因素认证" in body and 'data-testid="otp-secret"' in body
    device = TOTPDevice.objects.get(user=county)
    assert not device.confirmed
    resp = client.post(reverse("accounts:otp"), {"token": f"{totp(device.bin_key):06d}"})
    assert resp.status_code == 302 and resp["Location"] == reverse("web:dashboard")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert AuditEntry.objects.filter(action=Action.OTP_SETUP, actor=county).exists()


def test_code_page_offers_no_modules_until_the_code_is_entered(client, personas):
    county = personas["county"]
    device = TOTPDevice.objects.create(user=county, name="phone", confirmed=True)
    _login(client, county.username, PASSWORD)
    before = client.get(reverse("accounts:otp")).content.decode()
    assert 'class="modules"' not in before and reverse("accounts:password_change") not in before
    assert reverse("accounts:logout") in before  # signing out stays possible
    client.post(reverse("accounts:otp"), {"token": f"{totp(device.bin_key):06d}"})
    after = client.get(reverse("web:dashboard")).content.decode()
    assert 'class="modules"' in after and reverse("accounts:password_change") in after


def test_confirmed_device_prompts_for_code_only(client, personas):
    county = personas["county"]
    device = TOTPDevice.objects.create(user=county, name="phone", confirmed=True)
    _login(client, county.username, PASSWORD)
    body = client.get(reverse("accounts:otp")).content.decode()
    assert "otp-secret" not in body
    resp = client.post(reverse("accounts:otp"), {"token": f"{totp(device.bin_key):06d}"})
    assert resp.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_wrong_totp_shows_chinese_error(client, personas):
    county = personas["county"]
    _login(client, county.username, PASSWORD)
    client.get(reverse("accounts:otp"))
    device = TOTPDevice.objects.get(user=county)
    wrong = f"{(totp(device.bin_key) + 1) % 1000000:06d}"
    resp = client.post(reverse("accounts:otp"), {"token": wrong})
    assert resp.status_code == 200
    assert "验证码不正确或已过期" in resp.content.decode()
    assert client.get(reverse("web:dashboard")).status_code == 302
    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED, actor=county, detail__reason="otp").exists()


def test_otp_next_is_not_an_open_redirect(client, personas):
    device = TOTPDevice.objects.create(user=personas["county"], name="phone", confirmed=True)
    client.force_login(personas["county"])
    resp = client.post(
        reverse("accounts:otp") + "?next=https://evil.example/", {"token": f"{totp(device.bin_key):06d}"}
    )
    assert resp["Location"] == reverse("web:dashboard")


def test_clerk_needs_no_2fa(client, personas):
    _login(client, personas["clerk"].username, PASSWORD)
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_user_management_is_behind_2fa(client, personas):
    client.force_login(personas["sysadmin"])
    resp = client.get(reverse("accounts:user_list"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:otp")


# --- allowed networks (专人专机) ---------------------------------------------------


@pytest.fixture
def fenced_clerk(personas):
    clerk = personas["clerk"]
    clerk.allowed_networks = "10.1.0.0/16"
    clerk.save()
    return clerk


def test_session_from_other_network_is_signed_out_and_audited(client, fenced_clerk):
    login(client, fenced_clerk)
    resp = client.get(reverse("web:dashboard"), REMOTE_ADDR="192.0.2.5")
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login") + "?reason=network"
    assert "不允许从当前网络登录" in client.get(resp["Location"]).content.decode()
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action=Action.ACCESS_DENIED, actor=fenced_clerk)
    assert entry.ip == "192.0.2.5" and entry.detail == {"reason": "network"}


def test_allowed_network_gets_in(client, fenced_clerk):
    login(client, fenced_clerk)
    assert client.get(reverse("web:dashboard"), REMOTE_ADDR="10.1.2.3").status_code == 200


def test_login_from_other_network_is_refused(client, fenced_clerk):
    resp = _login(client, fenced_clerk.username, PASSWORD, REMOTE_ADDR="192.0.2.5")
    assert resp.status_code == 200
    assert "不允许从当前网络登录" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED, actor=fenced_clerk).exists()
    assert _login(client, fenced_clerk.username, PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302


@pytest.fixture
def behind_proxy(settings):
    import ipaddress

    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.0/8"),)


def test_behind_the_trusted_proxy_the_forwarded_client_address_counts(client, fenced_clerk, behind_proxy):
    login(client, fenced_clerk)
    inside = client.get(reverse("web:dashboard"), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.1.2.3")
    assert inside.status_code == 200
    outside = client.get(reverse("web:dashboard"), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="192.0.2.5")
    assert outside.status_code == 302 and outside["Location"].endswith("?reason=network")
    entry = AuditEntry.objects.get(action=Action.ACCESS_DENIED, actor=fenced_clerk)
    assert entry.ip == "192.0.2.5"  # the client, not the proxy


def test_a_forwarded_address_from_anyone_else_is_ignored(client, fenced_clerk, behind_proxy):
    login(client, fenced_clerk)
    # A client outside the fence claiming an inside address itself.
    resp = client.get(reverse("web:dashboard"), REMOTE_ADDR="192.0.2.5", HTTP_X_REAL_IP="10.1.2.3")
    assert resp.status_code == 302 and resp["Location"].endswith("?reason=network")
    assert AuditEntry.objects.get(action=Action.ACCESS_DENIED, actor=fenced_clerk).ip == "192.0.2.5"


def test_bad_trusted_proxy_setting_is_refused_at_start():
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import _networks

    assert [str(n) for n in _networks("TRUSTED_PROXIES", ["127.0.0.1", " 10.0.0.0/8 ", ""])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
    ]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        _networks("TRUSTED_PROXIES", ["10.300.0.0/16"])
