import gzip
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pims.audit import archive_file
from pims.audit.models import Action, AuditCheckpoint, AuditEntry
from pims.audit.services import ArchiveRefused, audit_archive, audit_record
from pims.audit.verify import verify_archive, verify_database

from .helpers import head_seq, tamper


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path
    return tmp_path / "audit-archive"


def _record(n: int) -> None:
    for i in range(n):
        audit_record(actor=None, username="tester", action=Action.EXPORT, obj=("t.x", i), detail={"i": i})


def _archive_all(**kwargs) -> AuditCheckpoint:
    """Archive everything recorded so far, pretending a year has passed."""
    now = timezone.now()
    checkpoint = audit_archive(
        before=now + timedelta(seconds=1), username="os:test", now=now + timedelta(days=365), **kwargs
    )
    assert checkpoint is not None
    return checkpoint


def test_archive_moves_old_entries_to_a_checksummed_file(db, backup_dir):
    _record(5)
    last = head_seq()
    checkpoint = _archive_all(chunk_size=2)
    assert (checkpoint.first_seq, checkpoint.seq, checkpoint.entry_count) == (1, last, last)
    path = backup_dir / checkpoint.file
    assert archive_file.read_checksum(path) == archive_file.sha256_of(path) == checkpoint.sha256
    header = archive_file.read_header(path)
    assert header["last_hash"] == checkpoint.entry_hash
    assert [e.seq for e in archive_file.read_entries(path)] == list(range(1, last + 1))
    # Only the ARCHIVE entry itself remains, linked to the checkpoint.
    remaining = list(AuditEntry.objects.order_by("seq"))
    assert [(e.seq, e.action) for e in remaining] == [(last + 1, Action.ARCHIVE)]
    assert remaining[0].prev_hash == checkpoint.entry_hash


def test_archive_files_are_readable_only_by_the_service_account(db, backup_dir):
    _record(2)
    checkpoint = _archive_all()
    path = backup_dir / checkpoint.file
    assert backup_dir.stat().st_mode & 0o777 == 0o700
    assert backup_dir.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert archive_file.checksum_path(path).stat().st_mode & 0o777 == 0o600


def test_verify_starts_from_the_checkpoint_after_archiving(db, backup_dir):
    _record(4)
    archived = _archive_all().seq
    _record(2)
    report = verify_database()
    assert report.ok
    assert (report.start_seq, report.last_seq) == (archived, archived + 3)
    call_command("audit_verify")


def test_a_second_archive_continues_the_first(db, backup_dir):
    _record(3)
    first = _archive_all()
    _record(3)
    second = _archive_all()
    assert (second.first_seq, second.seq) == (first.seq + 1, first.seq + 4)
    assert verify_archive(backup_dir / second.file).ok
    assert archive_file.read_header(backup_dir / second.file)["start_hash"] == first.entry_hash
    assert verify_database().ok


def test_verify_archive_file_command(db, backup_dir, capsys):
    _record(3)
    checkpoint = _archive_all()
    call_command("audit_verify", "--archive", str(backup_dir / checkpoint.file))
    assert "OK" in capsys.readouterr().out


def test_verify_detects_a_forged_archive_file(db, backup_dir):
    _record(3)
    path = backup_dir / _archive_all().file
    with gzip.open(path, "rb") as src:
        lines = src.read().splitlines()
    entry = json.loads(lines[2])
    entry["actor_username"] = "forger"
    lines[2] = json.dumps(entry).encode()
    with gzip.open(path, "wb") as out:
        out.write(b"\n".join(lines) + b"\n")
    assert "SHA-256" in verify_archive(path).broken.reason
    archive_file.write_checksum(path)  # the forger also rewrites the checksum file
    report = verify_archive(path, using=None)
    assert report.broken.seq == json.loads(lines[2])["seq"]
    assert verify_archive(path).broken.seq is not None  # and the checkpoint disagrees too
    with pytest.raises(CommandError):
        call_command("audit_verify", "--archive", str(path))


def test_archive_refuses_a_cutoff_inside_the_retention_period(db, backup_dir):
    _record(2)
    count = AuditEntry.objects.count()
    with pytest.raises(ArchiveRefused):
        audit_archive(before=timezone.now() - timedelta(days=30), username="os:test")
    assert AuditEntry.objects.count() == count


def test_archive_command_refuses_a_recent_date(db, backup_dir):
    recent = timezone.localtime(timezone.now() - timedelta(days=10)).date().isoformat()  # retention is physical time
    with pytest.raises(CommandError, match="保留期限"):
        call_command("audit_archive", "--before", recent)


def test_archive_command_default_cutoff_archives_nothing_recent(db, backup_dir, capsys):
    _record(2)
    count = AuditEntry.objects.count()
    call_command("audit_archive")
    assert "nothing to archive" in capsys.readouterr().out
    assert AuditEntry.objects.count() == count


def test_archive_refuses_a_broken_chain_and_keeps_everything(db, backup_dir):
    _record(4)
    target, count = head_seq() - 2, AuditEntry.objects.count()
    tamper("UPDATE audit_auditentry SET detail = '{}' WHERE seq = %s", [target])
    with pytest.raises(ArchiveRefused, match=f"序号 {target}"):
        _archive_all()
    assert AuditEntry.objects.count() == count
    assert not AuditCheckpoint.objects.exists()
    assert not list(backup_dir.glob("*.gz"))


def test_verify_reports_deleting_the_first_entry_after_a_checkpoint(db, backup_dir):
    _record(3)
    first_after = _archive_all().seq + 1  # the ARCHIVE entry itself
    _record(2)
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [first_after])
    assert verify_database().broken.seq == first_after
