"""With the audit tables owned by their own role, the application's role can
append but cannot disable, drop or bypass the append-only triggers (PostgreSQL)."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from pims.audit.models import Action, AuditEntry
from pims.audit.owner import owner_sql
from pims.audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def as_app_role():
    """Roles ops_audit_* / ops_app_* made inside the test's transaction (rolled
    back with it), the owner SQL applied, then the session acting as the app role."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"ops_audit_{suffix}", f"ops_app_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'CREATE ROLE "{app}" NOLOGIN')
        # The app owns everything else, as after its own `migrate`.
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" OWNER TO "{app}"')
        for statement in owner_sql(owner=owner, app_role=app):
            cursor.execute(statement)
        cursor.execute(f'SET ROLE "{app}"')
    yield app
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        return "must be owner" in str(exc) or "permission denied" in str(exc) or "append-only" in str(exc)
    return False


def test_the_app_role_appends_and_reads(as_app_role):
    entry = audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", 1))
    assert AuditEntry.objects.filter(seq=entry.seq).exists()
    # What its pg_dump (the backup) reads of the audit tables' sequences.
    with connection.cursor() as cursor:
        for sequence in ("audit_auditentry_id_seq", "audit_auditcheckpoint_id_seq"):
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            assert cursor.fetchone() is not None


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_entry_append_only ON audit_auditentry",
        "DROP TABLE audit_auditentry CASCADE",
        "TRUNCATE audit_auditentry",
        "UPDATE audit_auditentry SET object_id = 'forged'",
        "DELETE FROM audit_auditentry",
        "SET session_replication_role = replica",
        "CREATE OR REPLACE FUNCTION pims_audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
        "ALTER TABLE audit_auditentry OWNER TO CURRENT_USER",
    ],
)
def test_the_app_role_cannot_touch_the_triggers_or_the_entries(as_app_role, sql):
    audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", 1))
    assert refused(sql), sql
