"""Database triggers that make audit_auditentry append-only.

PostgreSQL: a row trigger rejects every UPDATE and every DELETE, except a
DELETE made by the archive service, which runs
``SET LOCAL pims.audit_archive = 'on'`` in its transaction and may remove only
rows already covered by an AuditCheckpoint. A statement trigger rejects
TRUNCATE while the table holds rows.

SQLite: no session settings exist, so UPDATE is always rejected and DELETE is
allowed only for rows covered by a checkpoint (RAISE(ABORT) otherwise).
SQLite drops a table's triggers when a migration rebuilds the table: a future
migration that alters AuditEntry on SQLite must run this SQL again.

Self-contained on purpose (no app imports), see STYLE.md.
"""

from django.db import migrations

PG_INSTALL = [
    r"""
CREATE OR REPLACE FUNCTION pims_audit_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('pims.audit_archive', true), '') = 'on'
       AND OLD.seq <= coalesce((SELECT max(seq) FROM audit_auditcheckpoint), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % of seq % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    """
CREATE TRIGGER audit_entry_append_only
BEFORE UPDATE OR DELETE ON audit_auditentry
FOR EACH ROW EXECUTE FUNCTION pims_audit_entry_guard()
""",
    r"""
CREATE OR REPLACE FUNCTION pims_audit_entry_truncate_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_auditentry) THEN
        RAISE EXCEPTION 'audit_auditentry is append-only: TRUNCATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER audit_entry_no_truncate
BEFORE TRUNCATE ON audit_auditentry
FOR EACH STATEMENT EXECUTE FUNCTION pims_audit_entry_truncate_guard()
""",
]

PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS pims_audit_entry_truncate_guard()",
    "DROP FUNCTION IF EXISTS pims_audit_entry_guard()",
]

SQLITE_INSTALL = [
    """
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN
    SELECT RAISE(ABORT, 'audit_auditentry is append-only: UPDATE refused');
END
""",
    """
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
WHEN OLD.seq > coalesce((SELECT max(seq) FROM audit_auditcheckpoint), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_auditentry is append-only: DELETE refused');
END
""",
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
]

STATEMENTS = {
    "postgresql": (PG_INSTALL, PG_REMOVE),
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
}


def _run(schema_editor, index):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:
        return
    for sql in statements[index]:
        schema_editor.execute(sql, params=None)


def install(apps, schema_editor):
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_checkpoint"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
