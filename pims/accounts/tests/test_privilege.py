"""Issue 14.1: no one gives an account more access than their own; accounts
that read personal data are made only by a county administrator of their
subtree; privileged changes wait for a second person (four-eyes)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pims.accounts.models import AccountApproval, User
from pims.accounts.roles import Role
from pims.accounts.services import (
    user_approval_decide,
    user_create,
    user_reset_password,
    user_set_active,
    user_update,
)
from pims.audit.models import AuditEntry
from pims.lib.errors import NotPermitted, PimsError

GOOD = "Kp7-wq2m-Vt9x"
NEW = "Vb4-rt8n-Qz6y"

# Where an account of each role sits in the test tree.
HOME = {
    Role.VILLAGE_CLERK: "village_a1",
    Role.TOWNSHIP_OPERATOR: "township_a",
    Role.TOWNSHIP_REVIEWER: "township_a",
    Role.COUNTY_ADMIN: "county",
    Role.CITY_VIEWER: "city",
    Role.PROVINCE_VIEWER: "province",
    Role.AUDITOR: "county",
    Role.SYSADMIN: "county",
}

# The only (actor role, target role) pairs anyone may create, edit, reset or
# re-enable in the web interface. Everything else is refused.
ALLOWED = {
    (Role.SYSADMIN, Role.SYSADMIN),
    (Role.COUNTY_ADMIN, Role.VILLAGE_CLERK),
    (Role.COUNTY_ADMIN, Role.TOWNSHIP_OPERATOR),
    (Role.COUNTY_ADMIN, Role.TOWNSHIP_REVIEWER),
    (Role.COUNTY_ADMIN, Role.COUNTY_ADMIN),
}
PAIRS = [(actor, target) for actor in Role for target in Role]


def _account(regions, role, name):
    return user_create(actor=None, username=name, password=GOOD, role=role, region=regions[HOME[role]])


def _refused(call):
    with pytest.raises((ValidationError, PimsError)):
        call()


@pytest.mark.parametrize(("actor_role", "target_role"), PAIRS)
def test_create(regions, actor_role, target_role):
    actor = _account(regions, actor_role, "actor")
    create = lambda: user_create(  # noqa: E731
        actor=actor, username="made", password=GOOD, role=target_role, region=regions[HOME[target_role]]
    )
    if (actor_role, target_role) in ALLOWED:
        made = create()
        assert not made.is_active  # every role anyone may give is privileged: four-eyes
        assert AccountApproval.objects.get(user=made).state == AccountApproval.State.PENDING
    else:
        _refused(create)
        assert not User.objects.filter(username="made").exists()


@pytest.mark.parametrize(("actor_role", "target_role"), PAIRS)
def test_edit(regions, actor_role, target_role):
    actor = _account(regions, actor_role, "actor")
    target = _account(regions, target_role, "target")
    edit = lambda: user_update(actor=actor, user=target, phone="13900000001")  # noqa: E731
    if (actor_role, target_role) in ALLOWED:
        edit()
    else:
        _refused(edit)
    target.refresh_from_db()
    assert (target.phone == "13900000001") == ((actor_role, target_role) in ALLOWED)


@pytest.mark.parametrize(("actor_role", "target_role"), PAIRS)
def test_reset_password(regions, actor_role, target_role):
    actor = _account(regions, actor_role, "actor")
    target = _account(regions, target_role, "target")
    reset = lambda: user_reset_password(actor=actor, user=target, password=NEW)  # noqa: E731
    if (actor_role, target_role) in ALLOWED:
        reset()
    else:
        _refused(reset)
    target.refresh_from_db()
    assert target.check_password(NEW) == ((actor_role, target_role) in ALLOWED)


@pytest.mark.parametrize(("actor_role", "target_role"), PAIRS)
def test_reenable(regions, actor_role, target_role):
    actor = _account(regions, actor_role, "actor")
    target = _account(regions, target_role, "target")
    user_set_active(actor=None, user=target, active=False)
    enable = lambda: user_set_active(actor=actor, user=target, active=True)  # noqa: E731
    if (actor_role, target_role) in ALLOWED:
        enable()
        assert AccountApproval.objects.get(user=target).kind == AccountApproval.Kind.REACTIVATE
    else:
        _refused(enable)
        assert not AccountApproval.objects.filter(user=target).exists()
    target.refresh_from_db()
    assert not target.is_active  # never re-enabled by one person


@pytest.mark.parametrize("target_role", [Role.COUNTY_ADMIN, Role.SYSADMIN, Role.TOWNSHIP_OPERATOR])
def test_promotion_beyond_own_access_is_refused(regions, target_role):
    county = _account(regions, Role.COUNTY_ADMIN, "county1")
    sysadmin = _account(regions, Role.SYSADMIN, "sys1")
    target = _account(regions, Role.AUDITOR, "target")
    for actor in (county, sysadmin):
        _refused(lambda actor=actor: user_update(actor=actor, user=target, role=target_role))
    target.refresh_from_db()
    assert target.role == Role.AUDITOR


# --- four-eyes ---------------------------------------------------------------------


@pytest.fixture
def admins(regions):
    return _account(regions, Role.COUNTY_ADMIN, "county1"), _account(regions, Role.COUNTY_ADMIN, "county2")


def test_second_county_admin_approves_creation_and_both_steps_are_audited(regions, admins):
    first, second = admins
    made = user_create(
        actor=first, username="clerk9", password=GOOD, role=Role.VILLAGE_CLERK, region=regions["village_a1"]
    )
    approval = AccountApproval.objects.get(user=made)
    with pytest.raises(ValidationError):
        user_approval_decide(actor=first, approval=approval, approve=True)
    made.refresh_from_db()
    assert not made.is_active
    user_approval_decide(actor=second, approval=approval, approve=True)
    made.refresh_from_db()
    assert made.is_active
    ops = [e.detail.get("op") for e in AuditEntry.objects.filter(object_id=str(made.pk)).order_by("seq")]
    assert "approval_requested" in ops and "approval_approved" in ops
    approved = AuditEntry.objects.get(object_id=str(made.pk), detail__op="approval_approved")
    assert approved.actor == second and approved.detail["requested_by"] == "county1"


def test_refused_request_leaves_account_inactive(regions, admins):
    first, second = admins
    made = user_create(
        actor=first, username="clerk9", password=GOOD, role=Role.VILLAGE_CLERK, region=regions["village_a1"]
    )
    user_approval_decide(actor=second, approval=AccountApproval.objects.get(user=made), approve=False)
    made.refresh_from_db()
    assert not made.is_active


def test_sysadmin_cannot_approve_a_personal_data_account(regions, admins):
    first, _ = admins
    sysadmin = _account(regions, Role.SYSADMIN, "sys1")
    made = user_create(
        actor=first, username="clerk9", password=GOOD, role=Role.VILLAGE_CLERK, region=regions["village_a1"]
    )
    with pytest.raises(NotPermitted):
        user_approval_decide(actor=sysadmin, approval=AccountApproval.objects.get(user=made), approve=True)


def test_promotion_waits_for_approval(regions, admins):
    first, second = admins
    reviewer = _account(regions, Role.TOWNSHIP_REVIEWER, "rev1")
    user_update(actor=first, user=reviewer, role=Role.TOWNSHIP_OPERATOR, phone="13900000002")
    reviewer.refresh_from_db()
    assert reviewer.role == Role.TOWNSHIP_REVIEWER and reviewer.phone == "13900000002"
    user_approval_decide(actor=second, approval=AccountApproval.objects.get(user=reviewer), approve=True)
    reviewer.refresh_from_db()
    assert reviewer.role == Role.TOWNSHIP_OPERATOR


def test_narrowing_takes_effect_at_once(regions, admins):
    first, second = admins
    user_update(actor=first, user=second, role=Role.TOWNSHIP_OPERATOR, region=regions["township_a"])
    second.refresh_from_db()
    assert second.role == Role.TOWNSHIP_OPERATOR and second.region == regions["township_a"]
    assert not AccountApproval.objects.filter(user=second).exists()


def test_county_admin_of_another_county_cannot_approve(regions, admins):
    from pims.regions.models import Level, Region

    first, _ = admins
    kangping = Region.objects.create(
        code="210123000000", name="康平县", level=Level.COUNTY, parent=regions["city"], valid_from="2023-06-30"
    )
    other = user_create(actor=None, username="kp1", password=GOOD, role=Role.COUNTY_ADMIN, region=kangping)
    made = user_create(
        actor=first, username="clerk9", password=GOOD, role=Role.VILLAGE_CLERK, region=regions["village_a1"]
    )
    with pytest.raises(NotPermitted):
        user_approval_decide(actor=other, approval=AccountApproval.objects.get(user=made), approve=True)


# --- the attack of issue 14.1, through the pages ----------------------------------------


def test_sysadmin_cannot_create_county_admin_nor_open_its_password_reset(client_for, personas):
    client = client_for("sysadmin")
    county = personas["county"]
    data = {
        "username": "shadow",
        "password1": GOOD,
        "password2": GOOD,
        "role": Role.COUNTY_ADMIN,
        "region": "210124000000",
        "full_name": "",
        "phone": "",
        "allowed_networks": "",
    }
    resp = client.post(reverse("accounts:user_create"), data)
    assert resp.status_code == 200 and not User.objects.filter(username="shadow").exists()
    for name in ("user_reset_password", "user_edit"):
        assert client.get(reverse(f"accounts:{name}", args=[county.pk])).status_code == 404
    resp = client.post(reverse("accounts:user_reset_password", args=[county.pk]), {"password1": NEW, "password2": NEW})
    assert resp.status_code == 404
    assert client.post(reverse("accounts:user_reset_2fa", args=[county.pk])).status_code == 404
    county.refresh_from_db()
    assert not county.check_password(NEW)
    body = client.get(reverse("accounts:user_detail", args=[county.pk])).content.decode()
    assert reverse("accounts:user_reset_password", args=[county.pk]) not in body


def test_sysadmin_created_sysadmin_cannot_sign_in_until_approved(client, client_for, personas, regions):
    admin = client_for("sysadmin")
    data = {
        "username": "sys2",
        "password1": GOOD,
        "password2": GOOD,
        "role": Role.SYSADMIN,
        "region": "210124000000",
        "full_name": "",
        "phone": "",
        "allowed_networks": "",
    }
    assert admin.post(reverse("accounts:user_create"), data).status_code == 302
    resp = client.post(reverse("accounts:login"), {"username": "sys2", "password": GOOD})
    assert resp.status_code == 200 and "_auth_user_id" not in client.session


def test_approval_pages(client_for, personas, regions):
    second = _account(regions, Role.COUNTY_ADMIN, "county2")
    made = user_create(
        actor=personas["county"],
        username="clerk9",
        password=GOOD,
        role=Role.VILLAGE_CLERK,
        region=regions["village_a1"],
    )
    approval = AccountApproval.objects.get(user=made)
    own = client_for("county")
    body = own.get(reverse("accounts:approval_list")).content.decode()
    assert "clerk9" in body and 'value="approve"' not in body  # the requester sees it, cannot approve
    for name in ("outsider", "clerk", "sysadmin"):
        resp = client_for(name).post(reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"})
        assert resp.status_code == 404
    from django.test import Client

    from pims.testing.fixtures import login

    other = login(Client(), second)
    assert 'value="approve"' in other.get(reverse("accounts:user_detail", args=[made.pk])).content.decode()
    resp = other.post(reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"})
    assert resp.status_code == 302
    made.refresh_from_db()
    assert made.is_active
