"""Backup and restore.

A backup is a directory ``pims-backup-<UTC time>/`` holding the database dump
(``db.dump``: pg_dump custom format; ``db.sqlite3``: an SQLite online-backup
copy), ``manifest.json`` (engine, migrations, per-table row counts and
checksums, audit chain head, dump SHA-256) and ``SHA256SUMS`` (sha256sum
format, both files). The manifest describes exactly the dumped state: on
PostgreSQL it is computed inside the REPEATABLE READ transaction whose
snapshot pg_dump uses, on SQLite it is computed from the copy itself.
"""

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pims.audit.archive_file import sha256_of
from pims.audit.models import Action, AuditHead
from pims.audit.services import audit_record
from pims.audit.verify import ChainReport, verify_database
from pims.lib.errors import Refused

from .databases import is_memory, pg_connection_args, pg_environment, pg_tool, temporary_alias, vendor_of
from .tables import applied_migrations, nonempty_tables, table_stats

FORMAT = "pims-backup"
VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
DUMP_NAME = {"postgresql": "db.dump", "sqlite": "db.sqlite3"}


class BackupError(Refused):
    """A backup or restore that cannot be done (message for the operator)."""


def _run(args: list[str], env: dict | None = None) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def _audit_head(using: str) -> dict:
    head = AuditHead.objects.using(using).filter(id=1).first()
    return {"seq": head.seq, "entry_hash": head.entry_hash} if head else {"seq": 0, "entry_hash": "0" * 64}


def _contents(using: str) -> dict:
    return {
        "migrations": applied_migrations(using),
        "tables": table_stats(using),
        "audit_head": _audit_head(using),
    }


def _snapshot_postgresql(dump: Path, using: str) -> dict:
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        settings_dict = connection.settings_dict
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={dump}",
                *pg_connection_args(settings_dict),
            ],
            env=pg_environment(settings_dict),
        )
        return _contents(using)


def _snapshot_sqlite(dump: Path, using: str) -> dict:
    connection = connections[using]
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    with temporary_alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(dump)}) as alias:
        return _contents(alias)


SNAPSHOT = {"postgresql": _snapshot_postgresql, "sqlite": _snapshot_sqlite}


def _write_sums(directory: Path, names: list[str]) -> None:
    lines = [f"{sha256_of(directory / name)}  {name}\n" for name in names]
    (directory / SUMS).write_text("".join(lines))


def backup_create(*, output_dir: Path, username: str, using: str = "default") -> Path:
    """Write a checksummed backup directory under `output_dir`; returns its path.

    The BACKUP audit entry is committed before the snapshot, so the backup
    holds its own record. Must run outside any transaction (the entry must be
    committed, pg_dump must see it, and SQLite cannot copy a database its own
    connection is writing).
    """
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in SNAPSHOT:
        raise BackupError(_("不支持的数据库类型：%(vendor)s") % {"vendor": vendor})
    if connection.in_atomic_block:
        raise BackupError(_("备份不能在事务中执行"))
    created = timezone.now()
    name = f"pims-backup-{created:%Y%m%dT%H%M%S%fZ}"
    output_dir.mkdir(parents=True, exist_ok=True)
    work = output_dir / f".{name}.partial"
    work.mkdir()
    try:
        audit_record(actor=None, username=username, action=Action.BACKUP, obj=("ops.backup", name), using=using)
        dump = work / DUMP_NAME[vendor]
        contents = SNAPSHOT[vendor](dump, using)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "name": name,
            "created_at": created.isoformat(),
            "engine": vendor,
            "django": django.get_version(),
            **contents,
            "dump": {"file": dump.name, "bytes": dump.stat().st_size, "sha256": sha256_of(dump)},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _write_sums(work, [dump.name, MANIFEST])
        final = output_dir / name
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _read_sums(directory: Path) -> dict[str, str]:
    try:
        lines = (directory / SUMS).read_text().splitlines()
    except FileNotFoundError:
        raise BackupError(_("备份缺少 %(name)s") % {"name": SUMS}) from None
    return {name.strip(): digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


def backup_load(directory: Path) -> dict:
    """The backup's manifest, after checking every file against its SHA-256."""
    if not directory.is_dir():
        raise BackupError(_("找不到备份目录 %(path)s") % {"path": directory})
    sums = _read_sums(directory)
    if sums.get(MANIFEST) != sha256_of(directory / MANIFEST):
        raise BackupError(_("manifest.json 校验值不符，备份已损坏"))
    manifest = json.loads((directory / MANIFEST).read_text())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(_("不是本系统的备份（格式不符）"))
    dump = directory / manifest["dump"]["file"]
    if not dump.is_file():
        raise BackupError(_("备份缺少数据文件 %(name)s") % {"name": dump.name})
    digest = sha256_of(dump)
    if digest != manifest["dump"]["sha256"] or sums.get(dump.name) != digest:
        raise BackupError(_("数据文件 %(name)s 的 SHA-256 与清单不符，备份已损坏") % {"name": dump.name})
    return manifest


@dataclass
class RestoreReport:
    manifest: dict
    chain: ChainReport | None = None
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.chain is not None and self.chain.ok


def _restore_postgresql(dump: Path, alias: str) -> None:
    settings_dict = connections[alias].settings_dict
    connections[alias].close()
    _run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *pg_connection_args(settings_dict),
            str(dump),
        ],
        env=pg_environment(settings_dict),
    )


def _restore_sqlite(dump: Path, alias: str) -> None:
    name = connections[alias].settings_dict["NAME"]
    connections[alias].close()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(name)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


RESTORE = {"postgresql": _restore_postgresql, "sqlite": _restore_sqlite}


def _compare(manifest: dict, alias: str) -> list[str]:
    mismatches = []
    stats = table_stats(alias)
    for table in sorted(set(manifest["tables"]) | set(stats)):
        expected, got = manifest["tables"].get(table), stats.get(table)
        if expected != got:
            mismatches.append(f"{table}: expected {expected}, restored {got}")
    if applied_migrations(alias) != manifest["migrations"]:
        mismatches.append("django_migrations: applied migrations differ from the manifest")
    if _audit_head(alias) != manifest["audit_head"]:
        mismatches.append(f"audit head: expected {manifest['audit_head']}, restored {_audit_head(alias)}")
    return mismatches


def _check_target(target: dict, manifest: dict) -> str:
    vendor = vendor_of(target)
    if vendor != manifest["engine"]:
        raise BackupError(
            _("备份来自 %(source)s，不能恢复到 %(target)s") % {"source": manifest["engine"], "target": vendor}
        )
    if is_memory(target):
        raise BackupError(_("不能恢复到内存数据库"))
    return vendor


def backup_restore(*, directory: Path, target: dict, username: str) -> RestoreReport:
    """Restore the backup in `directory` into the empty database `target`
    (a Django DATABASES entry), then compare row counts and checksums with
    the manifest and verify the audit chain. A RESTORE entry is appended to
    the restored chain only when everything matches.
    """
    manifest = backup_load(directory)
    vendor = _check_target(target, manifest)
    report = RestoreReport(manifest=manifest)
    with temporary_alias(target) as alias:
        busy = nonempty_tables(alias)
        if busy:
            raise BackupError(_("目标数据库不为空（%(tables)s 有数据），拒绝恢复") % {"tables": ", ".join(busy[:5])})
        RESTORE[vendor](directory / manifest["dump"]["file"], alias)
        report.mismatches = _compare(manifest, alias)
        report.chain = verify_database(using=alias)
        if report.ok:
            audit_record(
                actor=None,
                username=username,
                action=Action.RESTORE,
                obj=("ops.backup", manifest["name"]),
                detail={"tables": len(manifest["tables"]), "audit_head": manifest["audit_head"]["seq"]},
                using=alias,
            )
    return report
