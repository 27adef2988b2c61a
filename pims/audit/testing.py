"""Test helpers for the append-only audit tables.

Transactional tests (``transactional_db``) end with a flush, which the
append-only triggers refuse while audit entries exist (PostgreSQL TRUNCATE,
SQLite DELETE). `audit_log_purge` empties the log through the archive path
first; the `audit_purged_after` fixture does it at teardown.
"""

import pytest
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import AuditCheckpoint, AuditEntry, AuditHead
from .services import _delete_archived


def audit_log_purge() -> None:
    with transaction.atomic():
        last = AuditEntry.objects.aggregate(last=Max("seq"))["last"]
        if last is not None:
            AuditCheckpoint.objects.create(
                seq=last + 10**15,  # above any real seq, never clashes with a test's checkpoint
                first_seq=1,
                entry_hash="0" * 64,
                entry_count=0,
                cutoff=timezone.now(),
                archived_at=timezone.now(),
                file="test-purge",
                sha256="0" * 64,
            )
            _delete_archived(last)
        AuditCheckpoint.objects.all().delete()
        AuditHead.objects.all().delete()


@pytest.fixture
def audit_purged_after(transactional_db):
    yield
    audit_log_purge()
