import getpass
import ipaddress
import os
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pims.lib import request_context
from pims.lib.errors import Refused
from pims.lib.private_files import private_dir

from . import anchors as anchor_file
from . import archive_file
from .chain import GENESIS_HASH, hash_of
from .models import Action, AuditCheckpoint, AuditEntry, AuditHead
from .verify import check_link, latest_checkpoint

ARCHIVE_SUBDIR = "audit-archive"


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    region_code: str = "",
    detail: dict | None = None,
    ip: str | None = None,
    username: str = "",
    using: str = "default",
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    `obj` is a model instance or a ``(type, id)`` pair. `detail` must not
    contain plaintext personal data (names of changed fields are fine, their
    values are not). `using` names the database (the restore command writes
    to the database it restored). Without `ip` the entry gets the client
    address of the request being served (pims.lib.request_context), or for a
    management command the address of the SSH session that ran it.
    """
    object_type, object_id = _object_ref(obj)
    if ip is None:
        ip = _context_ip()
    actor_obj = actor if getattr(actor, "pk", None) else None
    with transaction.atomic(using=using):
        head, _ = AuditHead.objects.using(using).select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=datetime.now(UTC),
            actor=actor_obj,
            actor_username=username or (actor_obj.get_username() if actor_obj else ""),
            ip=ip,
            action=action,
            object_type=object_type,
            object_id=object_id,
            region_code=region_code or "",
            detail=detail or {},
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = hash_of(entry)
        entry.save(force_insert=True, using=using)
        head.seq = entry.seq
        head.entry_hash = entry.entry_hash
        head.save(update_fields=["seq", "entry_hash"], using=using)
    return entry


def _context_ip() -> str | None:
    context = request_context.current()
    return context.client_ip if context is not None else system_ip()


def client_ip(request) -> str | None:
    """The client address: REMOTE_ADDR, or — when the request comes from one
    of settings.TRUSTED_PROXIES — the X-Real-IP header that proxy sets
    (docs/operator/install.md, reverse proxy). A header from anywhere else is
    ignored: a client could write any address into it."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if remote and _from_trusted_proxy(remote):
        forwarded = _valid_ip(request.META.get("HTTP_X_REAL_IP", ""))
        if forwarded:
            return forwarded
    return remote


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _from_trusted_proxy(remote: str) -> bool:
    address = _valid_ip(remote)
    return address is not None and any(
        ipaddress.ip_address(address) in net for net in getattr(settings, "TRUSTED_PROXIES", ())
    )


def audit_request(request, *, action: str, obj=None, region_code: str = "", detail: dict | None = None) -> AuditEntry:
    return audit_record(
        actor=getattr(request, "user", None),
        action=action,
        obj=obj,
        region_code=region_code,
        detail=detail,
        ip=client_ip(request),
    )


def system_ip() -> str | None:
    """Where a management command was run from: the address of the SSH client
    (SSH_CONNECTION / SSH_CLIENT), or None at the server's own console."""
    for name in ("SSH_CONNECTION", "SSH_CLIENT"):
        value = os.environ.get(name, "").split()
        if value:
            return _valid_ip(value[0])
    return None


def system_username() -> str:
    """Who ran a management command: the operating-system account."""
    try:
        return f"os:{getpass.getuser()}"[:150]
    except (KeyError, OSError):
        return "os:unknown"


class ArchiveRefused(Refused):
    """An archive that cannot be made safely (message for the operator)."""


def archive_cutoff_limit(now: datetime | None = None) -> datetime:
    """The newest allowed archive cutoff: entries stay online for
    settings.AUDIT_RETENTION_DAYS (at least 184 days)."""
    return (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)


def _checked(entries: Iterable, *, start_seq: int, start_hash: str, legacy_until: int) -> Iterator:
    """Pass entries through, refusing at the first broken link: an archive
    must never turn a tampered chain into a trusted checkpoint."""
    seq, prev_hash = start_seq, start_hash
    for entry in entries:
        broken = check_link(entry, expected_seq=seq + 1, prev_hash=prev_hash, legacy_until=legacy_until)
        if broken is not None:
            raise ArchiveRefused(_("审计链已损坏，不能归档：%(broken)s") % {"broken": broken})
        seq, prev_hash = entry.seq, entry.entry_hash
        yield entry


def _delete_archived(last_seq: int) -> int:
    """Delete entries up to `last_seq`, through the path the append-only
    triggers allow: on PostgreSQL the transaction-local setting
    pims.audit_archive, on both engines only rows a checkpoint covers."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL pims.audit_archive = 'on'")
        deleted, _counts = AuditEntry.objects.filter(seq__lte=last_seq).delete()
        if postgres:
            cursor.execute("SET LOCAL pims.audit_archive = 'off'")
    return deleted


def _archive_path(first_seq: int, last_seq: int) -> Path:
    directory = private_dir(Path(settings.BACKUP_DIR)) / ARCHIVE_SUBDIR
    private_dir(directory)
    return directory / f"audit-{first_seq:012d}-{last_seq:012d}.jsonl.gz"


def audit_archive(
    *, before: datetime, username: str, now: datetime | None = None, chunk_size: int = 2000
) -> AuditCheckpoint | None:
    """Move entries older than `before` to an archive file and record a checkpoint.

    Archives a contiguous prefix of the chain: every entry up to the last one
    stamped before the cutoff. The file is written and checksummed, the
    checkpoint recorded, the rows deleted and an ARCHIVE entry appended in one
    transaction; on any failure the transaction rolls back and the file is
    removed. Returns None when nothing is old enough.
    """
    limit = archive_cutoff_limit(now)
    if before > limit:
        raise ArchiveRefused(
            _("截止时间 %(before)s 晚于保留期限（%(days)s 天，最晚 %(limit)s），拒绝归档")
            % {"before": before.isoformat(), "days": settings.AUDIT_RETENTION_DAYS, "limit": limit.isoformat()}
        )
    with transaction.atomic():
        AuditHead.objects.select_for_update().get_or_create(id=1)
        last = AuditEntry.objects.filter(at__lt=before).order_by("-seq").only("seq", "entry_hash").first()
        if last is None:
            return None
        checkpoint = latest_checkpoint()
        start_seq, start_hash = (checkpoint.seq, checkpoint.entry_hash) if checkpoint else (0, GENESIS_HASH)
        path = _archive_path(start_seq + 1, last.seq)
        try:
            return _archive_to(
                path, before=before, username=username, start=(start_seq, start_hash), last=last, chunk_size=chunk_size
            )
        except BaseException:
            path.unlink(missing_ok=True)
            archive_file.checksum_path(path).unlink(missing_ok=True)
            raise


def _archive_to(path: Path, *, before, username, start, last, chunk_size) -> AuditCheckpoint:
    start_seq, start_hash = start
    header = {
        "first_seq": start_seq + 1,
        "last_seq": last.seq,
        "count": last.seq - start_seq,
        "start_hash": start_hash,
        "last_hash": last.entry_hash,
        "cutoff": before.isoformat(),
        "created_at": timezone.now().isoformat(),
    }
    try:
        anchors = anchor_file.read_anchors()
    except anchor_file.AnchorError as exc:
        raise ArchiveRefused(str(exc)) from None
    legacy = anchor_file.legacy_until(anchors) if anchors else anchor_file._find_legacy_end("default")
    entries = cast(
        Generator[AuditEntry, None, None],
        AuditEntry.objects.filter(seq__lte=last.seq).order_by("seq").iterator(chunk_size=chunk_size),
    )
    # closing(): a PostgreSQL server-side cursor left open past a refusal
    # would be closed after its savepoint is gone, aborting the transaction.
    with closing(entries):
        checked = _checked(entries, start_seq=start_seq, start_hash=start_hash, legacy_until=legacy)
        archive_file.write(path, header, checked)
    digest = archive_file.write_checksum(path)
    checkpoint = AuditCheckpoint.objects.create(
        seq=last.seq,
        first_seq=start_seq + 1,
        entry_hash=last.entry_hash,
        entry_count=header["count"],
        cutoff=before,
        archived_at=timezone.now(),
        file=path.name,
        sha256=digest,
    )
    deleted = _delete_archived(last.seq)
    if deleted != header["count"]:
        raise ArchiveRefused(_("删除条数与归档条数不符"))
    # The checkpoint is signed outside the database once it is committed, so
    # that a checkpoint inserted by someone else is recognised as forged.
    seq, entry_hash = checkpoint.seq, checkpoint.entry_hash
    transaction.on_commit(lambda: anchor_file.write_anchor(kind="archive", seq=seq, entry_hash=entry_hash))
    audit_record(
        actor=None,
        username=username,
        action=Action.ARCHIVE,
        obj=checkpoint,
        detail={
            "first_seq": checkpoint.first_seq,
            "last_seq": checkpoint.seq,
            "count": deleted,
            "file": path.name,
            "sha256": digest,
        },
    )
    return checkpoint
