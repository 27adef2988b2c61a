import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from pims.audit.chain import GENESIS_HASH, hash_of
from pims.audit.models import Action, AuditEntry, AuditHead
from pims.audit.services import audit_record
from pims.audit.verify import verify_database

from .helpers import tamper


def _record(n: int, **kwargs) -> list[AuditEntry]:
    return [
        audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", i), **kwargs) for i in range(n)
    ]


@pytest.mark.django_db
def test_entries_link_each_to_the_previous_hash():
    entries = _record(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert all(hash_of(e) == e.entry_hash for e in entries)
    head = AuditHead.objects.get()
    assert (head.seq, head.entry_hash) == (3, entries[2].entry_hash)


@pytest.mark.django_db
def test_hash_survives_the_database_round_trip():
    _record(2, detail={"fields": ["name", "sex"], "n": 1.5})
    assert verify_database().ok


@pytest.mark.django_db
def test_entry_in_rolled_back_transaction_leaves_nothing():
    _record(1)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        audit_record(actor=None, action=Action.UPDATE, obj=("t.x", 9))
        raise Boom
    assert AuditEntry.objects.count() == 1
    assert AuditHead.objects.get().seq == 1
    assert verify_database().ok


@pytest.mark.django_db
def test_verify_passes_on_an_intact_chain(capsys):
    _record(5)
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out


@pytest.mark.django_db
def test_verify_passes_on_an_empty_log():
    report = verify_database()
    assert report.ok and report.checked == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("detail", '{"fields": ["forged"]}'), ("actor_username", "someone_else")],
)
def test_verify_names_the_tampered_entry(column, value):
    _record(5)
    tamper(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3", [value])  # noqa: S608 - column from parametrize
    report = verify_database()
    assert report.broken.seq == 3
    with pytest.raises(CommandError, match="序号 3"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_verify_names_a_rehashed_entry_by_its_successor():
    entries = _record(5)
    forged = entries[2]
    forged.actor_username = "forger"
    tamper(
        "UPDATE audit_auditentry SET actor_username = %s, entry_hash = %s WHERE seq = 3", ["forger", hash_of(forged)]
    )
    assert verify_database().broken.seq == 4


@pytest.mark.django_db
def test_verify_names_the_gap_left_by_a_deleted_entry():
    _record(5)
    tamper("DELETE FROM audit_auditentry WHERE seq = 2")
    report = verify_database()
    assert report.broken.seq == 2
    assert "缺失" in report.broken.reason


@pytest.mark.django_db
def test_verify_notices_deleted_entries_at_the_end():
    _record(5)
    tamper("DELETE FROM audit_auditentry WHERE seq >= 4")
    report = verify_database()
    assert report.broken.seq == 4
    assert "链头" in report.broken.reason
