import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from pims.accounts.roles import Role
from pims.audit.chain import entry_payload
from pims.audit.models import Action, AuditEntry
from pims.testing.fixtures import PASSWORD

from .helpers import head_seq

LOGIN = reverse("accounts:login")


@pytest.fixture
def named_clerk(regions):
    return get_user_model().objects.create_user(
        username="clerk_zhang",
        password=PASSWORD,
        role=Role.VILLAGE_CLERK,
        region=regions["village_a1"],
        full_name="张秀英",
        phone="13812345678",
    )


def _payload(entry) -> str:
    """Everything an entry stores that the chain hashes."""
    return entry_payload(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_username=entry.actor_username,
        ip=entry.ip,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        region_code=entry.region_code,
        detail=entry.detail,
    )


def test_login_and_logout_are_recorded(client, named_clerk):
    response = client.post(LOGIN, {"username": "clerk_zhang", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("accounts:logout"))
    actions = list(AuditEntry.objects.filter(actor=named_clerk).order_by("seq").values_list("action", flat=True))
    assert actions == [Action.LOGIN, Action.LOGOUT]
    login = AuditEntry.objects.get(action=Action.LOGIN)
    assert (login.object_type, login.object_id) == ("accounts.user", str(named_clerk.pk))
    assert login.region_code == named_clerk.region.code
    assert login.ip == "127.0.0.1"


def test_failed_login_is_recorded_with_the_attempted_username(client, named_clerk):
    client.post(LOGIN, {"username": "clerk_zhang", "password": "wrong-password-1"})
    client.post(LOGIN, {"username": "nobody_here", "password": "wrong-password-1"})
    failed = list(AuditEntry.objects.filter(action=Action.LOGIN_FAILED).order_by("seq"))
    assert [(e.actor_id, e.actor_username) for e in failed] == [(named_clerk.pk, "clerk_zhang"), (None, "nobody_here")]


def test_entries_hold_no_plaintext_personal_data_or_passwords(client, named_clerk):
    base = head_seq()
    client.post(LOGIN, {"username": "clerk_zhang", "password": "wrong-password-1"})
    client.post(LOGIN, {"username": "clerk_zhang", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    entries = list(AuditEntry.objects.filter(seq__gt=base))
    assert len(entries) == 3
    for entry in entries:
        text = _payload(entry) + json.dumps(entry.detail, ensure_ascii=False)
        for secret in ("张秀英", "13812345678", PASSWORD, "wrong-password-1"):
            assert secret not in text
