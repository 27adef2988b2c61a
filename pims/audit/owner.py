"""The audit tables under an owner role that is not the application's (PostgreSQL).

A table's owner can disable or drop its triggers, so the application's role
must not own the audit tables. `owner_sql` is the SQL a database superuser
runs once after `migrate` (docs/operator/audit-and-backup.md): the audit
tables and their trigger functions go to a NOLOGIN owner role; the
application keeps only what appending needs — INSERT and SELECT on the
entries (plus DELETE, which the trigger allows only on the archive path for
rows a checkpoint covers), the head row it moves, the checkpoints it adds.
The schema `public` goes to the owner role too, with USAGE and CREATE left
to the application: a schema's owner may drop any table in it.
"""

AUDIT_TABLES = ("audit_auditentry", "audit_audithead", "audit_auditcheckpoint")
TRIGGER_FUNCTIONS = ("pims_audit_entry_guard()", "pims_audit_entry_truncate_guard()")
# The id sequences go with their tables; the application's backups (pg_dump) read them.
SEQUENCES = ("audit_auditentry_id_seq", "audit_auditcheckpoint_id_seq")
APP_GRANTS = {
    "audit_auditentry": "SELECT, INSERT, DELETE",
    "audit_audithead": "SELECT, INSERT, UPDATE",
    "audit_auditcheckpoint": "SELECT, INSERT",
}


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise ValueError(f"role names are letters, digits and _: {name!r}")
    return f'"{name}"'


def owner_sql(*, owner: str, app_role: str) -> list[str]:
    owner_q, app_q = _ident(owner), _ident(app_role)
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN "
        f"CREATE ROLE {owner_q} NOLOGIN; END IF; END $$",
        f"ALTER SCHEMA public OWNER TO {owner_q}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {app_q}",
    ]
    for table in AUDIT_TABLES:
        statements += [
            f"ALTER TABLE {table} OWNER TO {owner_q}",
            f"REVOKE ALL ON {table} FROM {app_q}",
            f"GRANT {APP_GRANTS[table]} ON {table} TO {app_q}",
        ]
    statements += [f"ALTER FUNCTION {function} OWNER TO {owner_q}" for function in TRIGGER_FUNCTIONS]
    statements.append(f"GRANT SELECT ON SEQUENCE {', '.join(SEQUENCES)} TO {app_q}")
    return statements


def revert_sql(*, owner: str, app_role: str) -> list[str]:
    """Give the audit tables back to the application's role (for a release whose
    migrations change them; run owner_sql again afterwards)."""
    app_q = _ident(app_role)
    _ident(owner)
    statements = [f"ALTER TABLE {table} OWNER TO {app_q}" for table in AUDIT_TABLES]
    statements += [f"ALTER FUNCTION {function} OWNER TO {app_q}" for function in TRIGGER_FUNCTIONS]
    return [*statements, f"ALTER SCHEMA public OWNER TO {app_q}"]


def audit_owner(using: str = "default") -> str | None:
    """The role owning audit_auditentry (None on SQLite)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditentry'")
        row = cursor.fetchone()
    return row[0] if row else None
