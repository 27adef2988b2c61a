"""The keyed chain and its signed anchors stop a database superuser: both
forgeries of issue 14.6 — cutting off the newest entries and moving the head
back, and editing an entry and re-hashing the rest — are detected."""

import base64
import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pims.audit.anchors import read_anchors, write_anchor
from pims.audit.chain import compute_hash, entry_payload
from pims.audit.models import Action, AuditEntry, AuditHead
from pims.audit.services import audit_record
from pims.audit.verify import verify_database

from .helpers import head_seq, tamper

pytestmark = pytest.mark.django_db


def _record(n: int) -> list[AuditEntry]:
    return [audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", i)) for i in range(n)]


def _move_head(seq: int, entry_hash: str) -> None:
    AuditHead.objects.filter(id=1).update(seq=seq, entry_hash=entry_hash)


def _rehash_from(seq: int, *, key: bytes | None) -> None:
    """What an attacker does after editing entry `seq`: recompute every hash
    from there on (with SHA-256, or with a key of his own) and move the head."""
    prev = AuditEntry.objects.get(seq=seq - 1).entry_hash if seq > 1 else "0" * 64
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        payload = entry_payload(
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
        new = compute_hash(prev, payload, key=key)
        tamper("UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE seq = %s", [prev, new, entry.seq])
        prev = new
    _move_head(AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0], prev)


def test_cutting_off_the_newest_entries_and_moving_the_head_is_detected():
    _record(5)
    write_anchor()
    last = head_seq()
    keep = AuditEntry.objects.get(seq=last - 2)

    tamper("DELETE FROM audit_auditentry WHERE seq > %s", [keep.seq])
    _move_head(keep.seq, keep.entry_hash)

    report = verify_database()
    assert not report.ok
    assert report.broken.seq == last
    assert "末尾记录被删除" in report.broken.reason


@pytest.mark.parametrize("key", [None, b"attacker's own key......32 bytes"], ids=["sha256", "other-key"])
def test_editing_an_entry_and_rehashing_the_rest_is_detected(key):
    _record(5)
    write_anchor()
    target = head_seq() - 3
    tamper("UPDATE audit_auditentry SET object_id = 'forged' WHERE seq = %s", [target])

    _rehash_from(target, key=key)

    report = verify_database()
    assert not report.ok
    assert report.broken.seq == target
    assert "内容与哈希不符" in report.broken.reason


def test_an_attacker_with_the_chain_key_is_still_caught_by_the_anchor(settings):
    """Even re-hashing with the real key (a stolen server) leaves the anchored hash behind."""
    _record(5)
    write_anchor()
    anchored = head_seq()
    target = anchored - 2
    tamper("UPDATE audit_auditentry SET object_id = 'forged' WHERE seq = %s", [target])

    _rehash_from(target, key=base64.b64decode(settings.AUDIT_CHAIN_KEY))

    report = verify_database()
    assert report.broken.seq == anchored
    assert "锚点" in report.broken.reason


def test_a_forged_anchor_line_is_detected(settings):
    _record(2)
    write_anchor()
    path = settings.AUDIT_ANCHOR_FILE
    data = json.loads(path.read_text().splitlines()[-1])
    data["seq"] += 10
    path.write_text(path.read_text() + json.dumps(data) + "\n")

    report = verify_database()
    assert not report.ok
    assert "签名不符" in report.broken.reason


def test_anchors_agree_with_an_untouched_chain_and_seal_the_unkeyed_past(settings):
    _record(3)
    write_anchor()
    _record(2)
    write_anchor()
    anchors = read_anchors()
    assert [a.seq for a in anchors] == [head_seq() - 2, head_seq()]
    assert anchors[0].legacy_until == 0
    report = verify_database()
    assert report.ok and report.anchors == 2


def test_entries_written_before_the_chain_was_keyed_still_verify():
    """A database upgraded from 0.1 holds unkeyed entries: the first anchor records where they end."""
    _record(2)
    _rehash_from(1, key=None)  # every entry so far as release 0.1 wrote it
    base = head_seq() - 2
    _record(2)  # written by 0.2: keyed, linked to the last unkeyed one
    write_anchor()

    assert read_anchors()[0].legacy_until == base + 2
    assert verify_database().ok
    # An unkeyed entry *after* that point is a forgery.
    tamper("UPDATE audit_auditentry SET object_id = 'forged' WHERE seq = %s", [base + 3])
    _rehash_from(base + 3, key=None)
    assert verify_database().broken.seq == base + 3


def test_audit_anchor_and_verify_commands(capsys):
    _record(2)
    call_command("audit_anchor")
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "anchored seq" in out and "1 anchors agree" in out
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [head_seq()])
    with pytest.raises(CommandError, match="audit chain broken"):
        call_command("audit_verify")


def test_audit_verify_fails_when_a_trigger_is_missing(capsys):
    _record(1)
    name = "audit_entry_no_update" if connection.vendor == "sqlite" else "audit_entry_append_only"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}" + (" ON audit_auditentry" if connection.vendor == "postgresql" else ""))
    with pytest.raises(CommandError, match=f"append-only trigger {name}: missing"):
        call_command("audit_verify")


@pytest.mark.postgres
def test_audit_verify_fails_when_a_trigger_is_disabled():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite triggers cannot be disabled")
    _record(1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending on the table
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
    with pytest.raises(CommandError, match="audit_entry_append_only: disabled"):
        call_command("audit_verify")


def test_key_is_never_written_to_the_anchor_file(settings):
    _record(1)
    write_anchor()
    text = settings.AUDIT_ANCHOR_FILE.read_text()
    assert settings.AUDIT_CHAIN_KEY not in text
    assert os.stat(settings.AUDIT_ANCHOR_FILE).st_mode & 0o777 == 0o600
