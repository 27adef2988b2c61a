from django.db import connection

SQLITE_TRIGGERS = ("audit_entry_no_update", "audit_entry_no_delete")


def tamper(sql: str, params=()) -> None:
    """Run raw SQL on audit_auditentry as an attacker with database access
    would: around the append-only triggers. Must run inside the test's
    transaction, which undoes the bypass (SQLite DDL is transactional too)."""
    assert connection.in_atomic_block
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def head_seq() -> int:
    """The chain's current end: the session may start with entries (the code
    manual is loaded once for the whole test run, and loading is audited)."""
    from pims.audit.models import AuditHead

    head = AuditHead.objects.filter(id=1).first()
    return head.seq if head else 0
