import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from pims.audit.chain import GENESIS_HASH, hash_of
from pims.audit.models import Action, AuditEntry, AuditHead
from pims.audit.services import audit_record
from pims.audit.verify import verify_database, walk

from .helpers import head_seq, tamper

pytestmark = pytest.mark.django_db


def _record(n: int, **kwargs) -> list[AuditEntry]:
    return [
        audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", i), **kwargs) for i in range(n)
    ]


def test_entries_link_each_to_the_previous_hash():
    base = head_seq()
    entries = _record(3)
    assert [e.seq for e in entries] == [base + 1, base + 2, base + 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert all(hash_of(e) == e.entry_hash for e in entries)
    head = AuditHead.objects.get()
    assert (head.seq, head.entry_hash) == (entries[2].seq, entries[2].entry_hash)


def test_the_first_entry_links_to_the_genesis_hash():
    _record(1)
    first = AuditEntry.objects.order_by("seq").first()
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)


def test_hash_survives_the_database_round_trip():
    _record(2, detail={"fields": ["name", "sex"], "n": 1.5})
    assert verify_database().ok


def test_entry_in_rolled_back_transaction_leaves_nothing():
    _record(1)
    before = (AuditEntry.objects.count(), head_seq())

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        audit_record(actor=None, action=Action.UPDATE, obj=("t.x", 9))
        raise Boom
    assert (AuditEntry.objects.count(), head_seq()) == before
    assert verify_database().ok


def test_verify_passes_on_an_intact_chain(capsys):
    _record(5)
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out


def test_walk_of_no_entries_is_intact():
    report = walk([])
    assert report.ok and report.checked == 0 and report.last_hash == GENESIS_HASH


@pytest.mark.parametrize(
    ("column", "value"),
    [("detail", '{"fields": ["forged"]}'), ("actor_username", "someone_else")],
)
def test_verify_names_the_tampered_entry(column, value):
    target = _record(5)[2].seq
    tamper(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = %s", [value, target])  # noqa: S608 - parametrize
    assert verify_database().broken.seq == target
    with pytest.raises(CommandError, match=f"序号 {target}"):
        call_command("audit_verify")


def test_verify_names_a_rehashed_entry_by_its_successor():
    forged = _record(5)[2]
    forged.actor_username = "forger"
    tamper(
        "UPDATE audit_auditentry SET actor_username = %s, entry_hash = %s WHERE seq = %s",
        ["forger", hash_of(forged), forged.seq],
    )
    assert verify_database().broken.seq == forged.seq + 1


def test_verify_names_the_gap_left_by_a_deleted_entry():
    target = _record(5)[1].seq
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [target])
    report = verify_database()
    assert report.broken.seq == target
    assert "缺失" in report.broken.reason


def test_verify_notices_deleted_entries_at_the_end():
    entries = _record(5)
    tamper("DELETE FROM audit_auditentry WHERE seq >= %s", [entries[3].seq])
    report = verify_database()
    assert report.broken.seq == entries[3].seq
    assert "链头" in report.broken.reason
