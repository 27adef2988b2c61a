import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from pims.audit.models import Action, AuditEntry
from pims.audit.services import audit_record
from pims.audit.verify import verify_database
from pims.ops.databases import temporary_alias
from pims.ops.services import BackupError, backup_create, backup_load, backup_restore
from pims.ops.tables import canonical, nonempty_tables, table_stats


def _target(restore_target) -> dict:
    return {k: v for k, v in restore_target.items() if k != "URL"}


@pytest.fixture
def populated(committed_db, personas):
    for i, persona in enumerate(personas.values()):
        audit_record(
            actor=persona,
            action=Action.EXPORT,
            obj=("registry.person", i),
            region_code=persona.region.code,
            detail={"fields": ["name", "sex"], "n": i, "ratio": 0.5},
            ip="10.1.2.3",
        )
    return personas


def test_backup_then_restore_gives_identical_counts_and_checksums(populated, tmp_path, restore_target):
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    manifest = backup_load(path)
    assert manifest["tables"]["accounts_user"]["rows"] == len(populated)
    assert manifest["tables"]["audit_auditentry"]["rows"] == AuditEntry.objects.count()

    report = backup_restore(directory=path, target=_target(restore_target), username="os:test")

    assert report.ok, report.mismatches
    with temporary_alias(_target(restore_target)) as alias:
        restored = table_stats(alias)
        assert verify_database(using=alias).ok
        last = AuditEntry.objects.using(alias).order_by("-seq").first()
    assert last.action == Action.RESTORE
    for table, expected in manifest["tables"].items():
        if not table.startswith("audit_"):  # the RESTORE entry was appended after the check
            assert restored[table] == expected, table


def test_backup_holds_its_own_backup_entry(populated, tmp_path):
    manifest = backup_load(backup_create(output_dir=tmp_path, username="os:test"))
    last = AuditEntry.objects.order_by("-seq").first()
    assert last.action == Action.BACKUP
    assert last.object_id == manifest["name"]
    assert manifest["audit_head"] == {"seq": last.seq, "entry_hash": last.entry_hash}


def test_backup_manifest_matches_the_live_database(populated, tmp_path):
    manifest = backup_load(backup_create(output_dir=tmp_path, username="os:test"))
    assert manifest["tables"] == table_stats()


def test_restore_refuses_a_non_empty_database(populated, tmp_path, restore_target):
    path = backup_create(output_dir=tmp_path, username="os:test")
    assert backup_restore(directory=path, target=_target(restore_target), username="os:test").ok
    with pytest.raises(BackupError, match="不为空"):
        backup_restore(directory=path, target=_target(restore_target), username="os:test")


def test_restore_refuses_a_corrupted_dump(populated, tmp_path, restore_target):
    path = backup_create(output_dir=tmp_path, username="os:test")
    dump = path / backup_load(path)["dump"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="SHA-256"):
        backup_restore(directory=path, target=_target(restore_target), username="os:test")
    with temporary_alias(_target(restore_target)) as alias:
        assert nonempty_tables(alias) == []


def test_restore_refuses_an_edited_manifest(populated, tmp_path, restore_target):
    path = backup_create(output_dir=tmp_path, username="os:test")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["accounts_user"]["rows"] += 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="manifest"):
        backup_restore(directory=path, target=_target(restore_target), username="os:test")


def test_backup_and_restore_commands(populated, tmp_path, restore_target, capsys):
    call_command("backup", "--output", str(tmp_path))
    (path,) = tmp_path.glob("pims-backup-*")
    call_command("restore", str(path), "--database-url", restore_target["URL"])
    out = capsys.readouterr().out
    assert "audit chain: OK" in out
    assert "match the backup" in out
    with pytest.raises(CommandError, match="不为空"):
        call_command("restore", str(path), "--database-url", restore_target["URL"])


def test_backup_refuses_to_run_inside_a_transaction(db, tmp_path):
    with pytest.raises(BackupError):
        backup_create(output_dir=tmp_path, username="os:test")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("field", "sqlite_raw", "postgres_raw"),
    [
        (models.DateTimeField(), "2026-01-02 03:04:05.678900", dt.datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=dt.UTC)),
        (models.DateField(), "2026-01-02", dt.date(2026, 1, 2)),
        (models.JSONField(), '{"b":1,"a":[1,2]}', '{"a": [1, 2], "b": 1}'),
        (models.DecimalField(max_digits=6, decimal_places=2), 1.5, Decimal("1.50")),
        (models.BooleanField(), 1, True),
        (models.BinaryField(), b"\x00\x01", memoryview(b"\x00\x01")),
    ],
)
def test_canonical_values_agree_across_engines(field, sqlite_raw, postgres_raw):
    assert canonical(field, sqlite_raw) == canonical(field, postgres_raw)
