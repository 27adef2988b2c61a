"""Backup and restore.

A backup is a directory ``pims-backup-<UTC time>/`` (0700, its files 0600)
holding the database dump (``db.dump.age``: pg_dump custom format;
``db.sqlite3.age``: an SQLite online-backup copy) and ``media.tar.age`` (the
files under MEDIA_ROOT), both encrypted with age to settings.BACKUP_RECIPIENTS
(pims.ops.sealing), plus ``manifest.json`` in clear (release, engine,
migrations, per-table row counts and checksums, audit chain head, the field
keys the data is encrypted under, the files' sizes and SHA-256) and
``SHA256SUMS`` (sha256sum format). The manifest describes exactly the dumped
state: on PostgreSQL it is computed inside the REPEATABLE READ transaction
whose snapshot pg_dump uses, on SQLite it is computed from the copy itself.
The PostgreSQL dump is encrypted as pg_dump writes it and decrypted as
pg_restore reads it: it is never on disk in clear.
"""

import contextlib
import json
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

import pims
from pims.audit.archive_file import sha256_of
from pims.audit.models import Action, AuditHead
from pims.audit.services import audit_record
from pims.audit.verify import ChainReport, verify_database
from pims.lib import crypto
from pims.lib.errors import Refused
from pims.lib.private_files import create_private, private_dir, write_private_text

from . import media, sealing
from .databases import is_memory, pg_connection_args, pg_environment, pg_tool, temporary_alias, vendor_of
from .keys import field_key_ids_in_data
from .tables import applied_migrations, nonempty_tables, table_stats

FORMAT = "pims-backup"
VERSION = 2
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
DUMP_NAME = {"postgresql": "db.dump.age", "sqlite": "db.sqlite3.age"}
MEDIA_NAME = "media.tar.age"


class BackupError(Refused):
    """A backup or restore that cannot be done (message for the operator)."""


def _failed(args: list[str], returncode: int, stderr: str) -> BackupError:
    return BackupError(f"{Path(args[0]).name} failed ({returncode}): {stderr.strip()}")


def release_tuple(version: str) -> tuple[int, ...]:
    """'0.2.0' -> (0, 2, 0); releases are numbered MAJOR.MINOR.PATCH."""
    try:
        return tuple(int(part) for part in version.split("."))
    except (AttributeError, ValueError):
        raise BackupError(_("备份清单中的版本号“%(v)s”无法识别") % {"v": version}) from None


def _audit_head(using: str) -> dict:
    head = AuditHead.objects.using(using).filter(id=1).first()
    return {"seq": head.seq, "entry_hash": head.entry_hash} if head else {"seq": 0, "entry_hash": "0" * 64}


def _contents(using: str) -> dict:
    return {
        "migrations": applied_migrations(using),
        "tables": table_stats(using),
        "audit_head": _audit_head(using),
        "field_key_ids": field_key_ids_in_data(using),
    }


def _snapshot_postgresql(dump: Path, using: str) -> dict:
    """pg_dump's output goes straight into the encrypted file."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        settings_dict = connection.settings_dict
        args = [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", *pg_connection_args(settings_dict)]
        with (
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, env=pg_environment(settings_dict)) as dumper,
        ):
            out = dumper.stdout
            assert out is not None  # stdout=PIPE
            try:
                sealing.seal_stream(out, dump)
            finally:
                out.close()
                returncode = dumper.wait()
            if returncode != 0:
                errors.seek(0)
                raise _failed(args, returncode, errors.read().decode(errors="replace"))
        return _contents(using)


def _snapshot_sqlite(dump: Path, using: str) -> dict:
    """SQLite's backup API needs a file: a 0600 copy in the backup's 0700
    directory, encrypted and then removed."""
    connection = connections[using]
    connection.ensure_connection()
    plain = dump.with_name(".db.sqlite3.partial")
    create_private(plain).close()
    try:
        target = sqlite3.connect(plain)
        try:
            connection.connection.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        with temporary_alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(plain)}) as alias:
            contents = _contents(alias)
        with open(plain, "rb") as source:
            sealing.seal_stream(source, dump)
    finally:
        plain.unlink(missing_ok=True)
    return contents


SNAPSHOT = {"postgresql": _snapshot_postgresql, "sqlite": _snapshot_sqlite}


def _write_sums(directory: Path, names: list[str]) -> None:
    lines = [f"{sha256_of(directory / name)}  {name}\n" for name in names]
    write_private_text(directory / SUMS, "".join(lines))


def _file_entry(path: Path) -> dict:
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def _backup_media(path: Path, root: Path) -> dict:
    summary = media.summarise(root)
    media.pipe(lambda writer: media.write_tar(root, writer), lambda reader: sealing.seal_stream(reader, path))
    return {**_file_entry(path), "root": str(root), **summary.as_dict()}


def backup_create(*, output_dir: Path, username: str, using: str = "default", media_root: Path | None = None) -> Path:
    """Write an encrypted, checksummed backup directory under `output_dir`; returns its path.

    The BACKUP audit entry is committed before the snapshot, so the backup
    holds its own record. Must run outside any transaction (the entry must be
    committed, pg_dump must see it, and SQLite cannot copy a database its own
    connection is writing). Refuses to start without BACKUP_RECIPIENTS.
    """
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in SNAPSHOT:
        raise BackupError(_("不支持的数据库类型：%(vendor)s") % {"vendor": vendor})
    if connection.in_atomic_block:
        raise BackupError(_("备份不能在事务中执行"))
    try:
        sealing.recipients()
    except sealing.SealingError as exc:
        raise BackupError(str(exc)) from None
    created = timezone.now()
    name = f"pims-backup-{created:%Y%m%dT%H%M%S%fZ}"
    private_dir(output_dir)
    work = output_dir / f".{name}.partial"
    work.mkdir(mode=0o700)
    try:
        audit_record(actor=None, username=username, action=Action.BACKUP, obj=("ops.backup", name), using=using)
        dump = work / DUMP_NAME[vendor]
        contents = SNAPSHOT[vendor](dump, using)
        media_entry = _backup_media(work / MEDIA_NAME, Path(media_root or settings.MEDIA_ROOT))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "name": name,
            "created_at": created.isoformat(),
            "release": pims.__version__,
            "engine": vendor,
            "django": django.get_version(),
            "encryption": {"scheme": sealing.SCHEME, "recipients": list(settings.BACKUP_RECIPIENTS)},
            **contents,
            "dump": _file_entry(dump),
            "media": media_entry,
        }
        write_private_text(work / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _write_sums(work, [dump.name, MEDIA_NAME, MANIFEST])
        final = output_dir / name
        work.rename(final)
    except sealing.SealingError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(str(exc)) from None
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
    if manifest.get("format") != FORMAT:
        raise BackupError(_("不是本系统的备份（格式不符）"))
    if manifest.get("version") != VERSION:
        raise BackupError(
            _("备份格式第 %(got)s 版，本系统读第 %(want)s 版：请用制作该备份的版本（%(release)s）恢复")
            % {"got": manifest.get("version"), "want": VERSION, "release": manifest.get("release", "0.1.0")}
        )
    for entry in (manifest["dump"], manifest["media"]):
        path = directory / entry["file"]
        if not path.is_file():
            raise BackupError(_("备份缺少数据文件 %(name)s") % {"name": path.name})
        digest = sha256_of(path)
        if digest != entry["sha256"] or sums.get(path.name) != digest:
            raise BackupError(_("数据文件 %(name)s 的 SHA-256 与清单不符，备份已损坏") % {"name": path.name})
    return manifest


def check_release(manifest: dict) -> None:
    """A backup of a newer release may hold tables and migrations this code
    does not know: restore it with that release (or a newer one)."""
    made_by, running = manifest["release"], pims.__version__
    if release_tuple(made_by) > release_tuple(running):
        raise BackupError(
            _("这份备份由 %(made)s 版制作，本系统是较旧的 %(running)s 版：请先升级到 %(made)s 或更新的版本，再恢复")
            % {"made": made_by, "running": running}
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    unknown = sorted(set(manifest["migrations"]) - known)
    if unknown:
        raise BackupError(
            _("这份备份含本版本（%(running)s）没有的数据库迁移 %(names)s：请用制作备份的版本（%(made)s）恢复")
            % {"running": running, "names": ", ".join(unknown[:3]), "made": made_by}
        )


def check_keys(manifest: dict) -> None:
    """Every field key the backup's data is encrypted under must still be in
    FIELD_ENCRYPTION_KEYS, or its ID numbers could not be read after the restore."""
    present = {kid for kid, _aes in crypto.keyring()}
    missing = sorted(set(manifest.get("field_key_ids", [])) - present)
    if missing:
        raise BackupError(
            _(
                "备份中的数据用字段密钥 %(ids)s 加密，但 FIELD_ENCRYPTION_KEYS 中没有它：把该旧密钥加回列表末尾再恢复（docs/operator/keys.md）"
            )
            % {"ids": ", ".join(missing)}
        )


@dataclass
class RestoreReport:
    manifest: dict
    chain: ChainReport | None = None
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.chain is not None and self.chain.ok


def _restore_postgresql(dump: Path, alias: str, identities: list) -> None:
    """The dump is decrypted into pg_restore's standard input."""
    settings_dict = connections[alias].settings_dict
    connections[alias].close()
    args = [
        pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        *pg_connection_args(settings_dict),
    ]
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(args, stdin=subprocess.PIPE, stderr=errors, env=pg_environment(settings_dict)) as restorer,
    ):
        # A broken pipe means pg_restore stopped early: its exit status and message say why.
        into = restorer.stdin
        assert into is not None  # stdin=PIPE
        try:
            with contextlib.suppress(BrokenPipeError):
                sealing.unseal_stream(dump, into, identities)
        finally:
            with contextlib.suppress(BrokenPipeError):
                into.close()
            returncode = restorer.wait()
        if returncode != 0:
            errors.seek(0)
            raise _failed(args, returncode, errors.read().decode(errors="replace"))


def _restore_sqlite(dump: Path, alias: str, identities: list) -> None:
    name = connections[alias].settings_dict["NAME"]
    connections[alias].close()
    plain = Path(name).with_name(f".{Path(name).name}.restoring")
    try:
        with create_private(plain) as out:
            sealing.unseal_stream(dump, out, identities)
        source = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    finally:
        plain.unlink(missing_ok=True)


def _restore_media(directory: Path, manifest: dict, root: Path, identities: list) -> list[str]:
    entry = manifest["media"]
    path = directory / entry["file"]
    media.pipe(
        lambda writer: sealing.unseal_stream(path, writer, identities), lambda reader: media.read_tar(reader, root)
    )
    got = media.summarise(root).as_dict()
    expected = {key: entry[key] for key in got}
    return [] if got == expected else [f"media: expected {expected}, restored {got}"]


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


def backup_restore(
    *, directory: Path, target: dict, username: str, identity_file: Path | str | None, media_root: Path
) -> RestoreReport:
    """Restore the backup in `directory` into the empty database `target`
    (a Django DATABASES entry) and its files into the empty `media_root`,
    then compare row counts, checksums and the media listing with the
    manifest and verify the audit chain. Refuses, before touching anything,
    a damaged backup, a backup of a newer release, a missing field key, a
    wrong backup identity and a non-empty target. A RESTORE entry is appended
    to the restored chain only when everything matches.
    """
    manifest = backup_load(directory)
    check_release(manifest)
    check_keys(manifest)
    vendor = _check_target(target, manifest)
    try:
        identities = sealing.open_identities(identity_file)
    except sealing.SealingError as exc:
        raise BackupError(str(exc)) from None
    media_root = Path(media_root)
    if not media.is_empty(media_root):
        raise BackupError(_("文件目录 %(path)s 不为空，拒绝恢复（请给一个空目录）") % {"path": media_root})
    report = RestoreReport(manifest=manifest)
    with temporary_alias(target) as alias:
        busy = nonempty_tables(alias)
        if busy:
            raise BackupError(_("目标数据库不为空（%(tables)s 有数据），拒绝恢复") % {"tables": ", ".join(busy[:5])})
        try:
            RESTORE[vendor](directory / manifest["dump"]["file"], alias, identities)
            report.mismatches = _restore_media(directory, manifest, media_root, identities)
        except sealing.SealingError as exc:
            raise BackupError(str(exc)) from None
        report.mismatches += _compare(manifest, alias)
        report.chain = verify_database(using=alias, prefix_only=True)
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


def job_start(name: str):
    from .models import ScheduledRun

    return ScheduledRun.objects.create(job=name, started_at=timezone.now())


def job_finish(run, *, ok: bool, summary: str) -> None:
    """Record the end of a run; the summary is the command's own output (no personal data), trimmed."""
    run.finished_at = timezone.now()
    run.ok = ok
    run.summary = summary.strip()[-2000:]
    run.save(update_fields=["finished_at", "ok", "summary"])
