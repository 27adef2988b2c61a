import pytest
from django.db import DatabaseError, connection, transaction

from pims.audit.models import Action, AuditEntry
from pims.audit.services import audit_record
from pims.audit.verify import trigger_problems


@pytest.fixture
def entry(db):
    return audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", 1))


def test_triggers_are_installed(db):
    assert trigger_problems() == []


def test_update_is_rejected_by_the_database(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_username="x")


def test_raw_update_is_rejected_by_the_database(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET detail = '{}' WHERE seq = 1")


def test_delete_is_rejected_by_the_database(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL session setting")
def test_archive_setting_alone_does_not_allow_deleting_unarchived_rows(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL pims.audit_archive = 'on'")
        cursor.execute("DELETE FROM audit_auditentry")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_truncate_is_rejected_by_the_database(entry):
    with pytest.raises(DatabaseError, match="TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditentry")
