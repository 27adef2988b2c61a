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


def restore(path, restore_target, identity, tmp_path, **kwargs):
    return backup_restore(
        directory=path,
        target=_target(restore_target),
        username="os:test",
        identity_file=identity,
        media_root=kwargs.pop("media_root", tmp_path / "restored-media"),
        **kwargs,
    )


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


def test_backup_then_restore_gives_identical_counts_and_checksums(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    manifest = backup_load(path)
    assert manifest["tables"]["accounts_user"]["rows"] == len(populated)
    assert manifest["tables"]["audit_auditentry"]["rows"] == AuditEntry.objects.count()

    report = restore(path, restore_target, backup_keys, tmp_path)

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


def test_restore_refuses_a_non_empty_database(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path, username="os:test")
    assert restore(path, restore_target, backup_keys, tmp_path).ok
    with pytest.raises(BackupError, match="不为空"):
        restore(path, restore_target, backup_keys, tmp_path, media_root=tmp_path / "other-media")


def test_restore_refuses_a_corrupted_dump(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path, username="os:test")
    dump = path / backup_load(path)["dump"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="SHA-256"):
        restore(path, restore_target, backup_keys, tmp_path)
    with temporary_alias(_target(restore_target)) as alias:
        assert nonempty_tables(alias) == []


def test_restore_refuses_an_edited_manifest(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path, username="os:test")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["accounts_user"]["rows"] += 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="manifest"):
        restore(path, restore_target, backup_keys, tmp_path)


def test_backup_and_restore_commands(populated, tmp_path, restore_target, capsys, backup_keys):
    call_command("backup", "--output", str(tmp_path))
    (path,) = tmp_path.glob("pims-backup-*")
    args = ["--database-url", restore_target["URL"], "--identity", str(backup_keys)]
    call_command("restore", str(path), *args, "--media-root", str(tmp_path / "m1"))
    out = capsys.readouterr().out
    assert "audit chain: OK" in out
    assert "match the backup" in out
    with pytest.raises(CommandError, match="不为空"):
        call_command("restore", str(path), *args, "--media-root", str(tmp_path / "m2"))
    with pytest.raises(CommandError, match="--media-root"):
        call_command("restore", str(path), *args)


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


def _rewrite_manifest(path, change) -> None:
    """Edit the manifest and re-write SHA256SUMS, as someone with the files (not the key) could."""
    import hashlib

    manifest = json.loads((path / "manifest.json").read_text())
    change(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))
    lines = [
        f"{hashlib.sha256((path / name).read_bytes()).hexdigest()}  {name}\n"
        for name in (manifest["dump"]["file"], manifest["media"]["file"], "manifest.json")
    ]
    (path / "SHA256SUMS").write_text("".join(lines))


def _plaintext_markers(personas) -> list[bytes]:
    return [b"SQLite format 3", b"PGDMP", b"audit_auditentry", *[p.username.encode() for p in personas.values()]]


def test_backup_files_are_encrypted_and_only_the_owner_can_read_them(populated, tmp_path, settings):
    (settings.MEDIA_ROOT / "imports").mkdir(parents=True)
    (settings.MEDIA_ROOT / "imports" / "rejected.csv").write_text("210124199001011234,张三\n")
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")

    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o700
    for file in path.iterdir():
        assert file.stat().st_mode & 0o777 == 0o600, file.name
    for name in (backup_load(path)["dump"]["file"], backup_load(path)["media"]["file"]):
        data = (path / name).read_bytes()
        assert data.startswith(b"age-encryption.org/v1")
        for marker in [*_plaintext_markers(populated), "张三".encode(), b"210124199001011234", b"rejected.csv"]:
            assert marker not in data, (name, marker)
    manifest_text = (path / "manifest.json").read_text()
    assert "rejected.csv" not in manifest_text and "210124199001011234" not in manifest_text


def test_restore_needs_the_backup_private_key(populated, tmp_path, restore_target):
    from pims.ops.keygen import generate_identity_file

    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    generate_identity_file(tmp_path / "other-identity.txt")

    with pytest.raises(BackupError, match="无法解密"):
        restore(path, restore_target, tmp_path / "other-identity.txt", tmp_path)
    with pytest.raises(BackupError, match="备份私钥"):
        restore(path, restore_target, None, tmp_path)
    with temporary_alias(_target(restore_target)) as alias:
        assert nonempty_tables(alias) == []


def test_backup_restores_the_media_files(populated, tmp_path, restore_target, backup_keys, settings):
    scans = settings.MEDIA_ROOT / "scans" / "2026"
    scans.mkdir(parents=True)
    (scans / "form-0001.pdf").write_bytes(b"%PDF-1.7 scan" * 1000)
    (settings.MEDIA_ROOT / "note.txt").write_text("x")
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    assert backup_load(path)["media"]["files"] == 2

    report = restore(path, restore_target, backup_keys, tmp_path)

    assert report.ok, report.mismatches
    restored = tmp_path / "restored-media"
    assert (restored / "scans" / "2026" / "form-0001.pdf").read_bytes() == b"%PDF-1.7 scan" * 1000
    assert (restored / "note.txt").read_text() == "x"


def test_restore_refuses_a_backup_of_a_newer_release(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    _rewrite_manifest(path, lambda m: m.update(release="99.0.0"))

    with pytest.raises(BackupError, match="99.0.0 版制作.*请先升级"):
        restore(path, restore_target, backup_keys, tmp_path)
    with temporary_alias(_target(restore_target)) as alias:
        assert nonempty_tables(alias) == []


def test_restore_refuses_a_backup_with_migrations_this_release_lacks(populated, tmp_path, restore_target, backup_keys):
    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    _rewrite_manifest(path, lambda m: m["migrations"].append("registry.9999_from_the_future"))

    with pytest.raises(BackupError, match="9999_from_the_future"):
        restore(path, restore_target, backup_keys, tmp_path)


def test_restore_refuses_when_a_field_key_of_the_backup_is_gone(populated, tmp_path, restore_target, backup_keys):
    import base64
    import os

    from django.test import override_settings

    from pims.lib import crypto

    path = backup_create(output_dir=tmp_path / "backups", username="os:test")
    _rewrite_manifest(path, lambda m: m.update(field_key_ids=[crypto.keyring()[0][0]]))
    other_key = base64.b64encode(os.urandom(32)).decode()
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[other_key]),
        pytest.raises(BackupError, match="FIELD_ENCRYPTION_KEYS 中没有它"),
    ):
        restore(path, restore_target, backup_keys, tmp_path)


def test_backup_refuses_without_a_backup_key(committed_db, tmp_path, settings):
    settings.BACKUP_RECIPIENTS = []
    with pytest.raises(BackupError, match="BACKUP_RECIPIENTS"):
        backup_create(output_dir=tmp_path / "backups", username="os:test")
    assert not (tmp_path / "backups").exists()
