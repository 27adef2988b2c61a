import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.accounts.roles import Role
from pims.accounts.services import (
    user_create,
    user_reset_2fa,
    user_reset_password,
    user_set_active,
    user_unlock,
    user_update,
)
from pims.audit.models import Action, AuditEntry
from pims.lib.errors import NotPermitted

GOOD = "Kp7-wq2m-Vt9x"


def _create(actor, regions, **kw):
    args = {
        "username": "new_clerk",
        "password": GOOD,
        "role": Role.VILLAGE_CLERK,
        "region": regions["village_a1"],
        "full_name": "张三",
        "phone": "13800000000",
    }
    args.update(kw)
    return user_create(actor=actor, **args)


def test_create_hashes_with_argon2_and_audits_field_names_only(personas, regions):
    user = _create(personas["county"], regions)
    assert user.password.startswith("argon2")
    assert user.check_password(GOOD)
    assert user.password_changed_at is not None
    entry = AuditEntry.objects.get(action=Action.CREATE, object_id=str(user.pk))
    assert entry.actor == personas["county"]
    assert entry.region_code == regions["village_a1"].code
    text = str(entry.detail)
    assert "password" in entry.detail["fields"]
    for secret in (GOOD, "张三", "13800000000"):
        assert secret not in text


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab3-xyz", "10"),  # short (message language: see validators.py)
        ("new_clerk_1", "相似"),  # similar to username
        ("password123", "常见"),  # common
        ("8264957310", "数字"),  # numeric
    ],
)
def test_create_rejects_weak_password(regions, password, fragment):
    with pytest.raises(ValidationError) as exc:
        _create(None, regions, password=password)
    messages = exc.value.message_dict["password"]
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize(
    ("role", "region_key"),
    [
        (Role.VILLAGE_CLERK, "township_a"),
        (Role.TOWNSHIP_OPERATOR, "village_a1"),
        (Role.TOWNSHIP_REVIEWER, "county"),
        (Role.COUNTY_ADMIN, "township_a"),
        (Role.CITY_VIEWER, "county"),
        (Role.PROVINCE_VIEWER, "city"),
    ],
)
def test_create_rejects_role_at_wrong_level(regions, role, region_key):
    with pytest.raises(ValidationError) as exc:
        _create(None, regions, role=role, region=regions[region_key])
    assert "级区划" in exc.value.message_dict["region"][0]


@pytest.mark.parametrize(
    ("role", "region_key"),
    [
        (Role.VILLAGE_CLERK, "village_a1"),
        (Role.TOWNSHIP_OPERATOR, "township_a"),
        (Role.TOWNSHIP_REVIEWER, "township_b"),
        (Role.COUNTY_ADMIN, "county"),
        (Role.CITY_VIEWER, "city"),
        (Role.PROVINCE_VIEWER, "province"),
        (Role.AUDITOR, "township_a"),
        (Role.SYSADMIN, "province"),
    ],
)
def test_create_accepts_role_at_its_level(regions, role, region_key):
    user = _create(None, regions, role=role, region=regions[region_key])
    assert user.role == role


def test_create_rejects_bad_network_naming_the_line(regions):
    with pytest.raises(ValidationError) as exc:
        _create(None, regions, allowed_networks="10.1.0.0/16\n\n  10.300.0.0/16 ")
    message = exc.value.message_dict["allowed_networks"][0]
    assert "第 3 行" in message and "10.300.0.0/16" in message


def test_create_normalizes_networks(regions):
    user = _create(None, regions, allowed_networks=" 10.1.0.0/16 \n\n192.168.1.7\n")
    assert user.allowed_networks == "10.1.0.0/16\n192.168.1.7"


def test_create_rejects_duplicate_username(personas, regions):
    with pytest.raises(ValidationError) as exc:
        _create(None, regions, username="CLERK_A1")
    assert "username" in exc.value.message_dict


def test_sysadmin_cannot_place_user_outside_own_county(regions):
    other = _create(None, regions, username="other_admin", role=Role.SYSADMIN, region=regions["township_b"])
    with pytest.raises(ValidationError) as exc:
        _create(other, regions, region=regions["village_a1"])
    assert "管辖范围" in exc.value.message_dict["region"][0]


def test_non_admin_actor_is_refused(personas, regions):
    with pytest.raises(NotPermitted):
        _create(personas["reviewer"], regions)


def test_update_changes_fields_and_audits_names(personas, regions):
    admin, clerk = personas["county"], personas["clerk"]
    user_update(actor=admin, user=clerk, full_name="李四", phone="13900000000")
    clerk.refresh_from_db()
    assert clerk.phone == "13900000000"
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_id=str(clerk.pk)).first()
    assert sorted(entry.detail["fields"]) == ["full_name", "phone"]
    assert "13900000000" not in str(entry.detail)


def test_update_rejects_wrong_level(personas, regions):
    with pytest.raises(ValidationError) as exc:
        user_update(actor=personas["county"], user=personas["clerk"], role=Role.TOWNSHIP_OPERATOR)
    assert "region" in exc.value.message_dict


def test_update_refuses_user_outside_scope(personas, regions):
    other = _create(None, regions, username="other_admin", role=Role.SYSADMIN, region=regions["township_b"])
    with pytest.raises(NotPermitted):
        user_update(actor=other, user=personas["clerk"], phone="1")


def test_admin_cannot_change_own_role(personas):
    admin = personas["sysadmin"]
    with pytest.raises(ValidationError) as exc:
        user_update(actor=admin, user=admin, role=Role.COUNTY_ADMIN)
    assert "role" in exc.value.message_dict


def test_set_active_and_not_self(personas):
    admin, clerk = personas["sysadmin"], personas["clerk"]
    user_set_active(actor=admin, user=clerk, active=False)
    clerk.refresh_from_db()
    assert not clerk.is_active
    with pytest.raises(ValidationError):
        user_set_active(actor=admin, user=admin, active=False)


def test_reset_password_validates_and_audits(personas):
    admin, clerk = personas["county"], personas["clerk"]
    with pytest.raises(ValidationError) as exc:
        user_reset_password(actor=admin, user=clerk, password="short")
    assert "password" in exc.value.message_dict
    user_reset_password(actor=admin, user=clerk, password=GOOD)
    clerk.refresh_from_db()
    assert clerk.check_password(GOOD) and clerk.password.startswith("argon2")
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_id=str(clerk.pk)).first()
    assert entry.detail == {"fields": ["password"], "op": "reset_password"}


def test_unlock_clears_axes_attempts(personas):
    clerk = personas["clerk"]
    AccessAttempt.objects.create(
        username=clerk.username,
        ip_address="127.0.0.1",
        user_agent="",
        http_accept="",
        path_info="/accounts/login/",
        attempt_time=timezone.now(),
        failures_since_start=5,
    )
    assert user_unlock(actor=personas["county"], user=clerk) == 1
    assert not AccessAttempt.objects.filter(username=clerk.username).exists()


def test_reset_2fa_deletes_devices(personas):
    county = personas["operator"]
    TOTPDevice.objects.create(user=county, name="phone", confirmed=True)
    assert user_reset_2fa(actor=personas["county"], user=county) == 1
    assert not TOTPDevice.objects.filter(user=county).exists()
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_id=str(county.pk)).first()
    assert entry.detail["op"] == "reset_2fa"
