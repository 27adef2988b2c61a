"""Signed checkpoints of the audit chain, kept outside the database.

The keyed chain stops anyone without AUDIT_CHAIN_KEY from re-hashing edited
entries, but a database superuser can still cut off the newest entries and
move the head back: what is left is a valid chain. So the chain's head is
written, at intervals (`manage.py audit_anchor`, a systemd timer) and at
every archive, to an append-only file outside the database
(settings.AUDIT_ANCHOR_FILE): one JSON line per anchor, signed with the chain
key. `audit_verify` checks every anchor against the database: an anchored
entry that is gone or differs is reported, however consistent the rest looks.
Deleting entries written after the last anchor is not detectable — the
anchor interval is the exposure window.

The first line also records `legacy_until`: the last entry written before
the chain was keyed (those carry an unkeyed SHA-256).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from pims.lib.errors import Failure
from pims.lib.private_files import PRIVATE_FILE

from .chain import GENESIS_HASH, hash_of, is_unkeyed, sign


class AnchorError(Failure):
    """The anchor file is damaged or forged."""


@dataclass(frozen=True)
class Anchor:
    line: int
    kind: str  # "head" or "archive"
    seq: int
    entry_hash: str
    at: str
    legacy_until: int | None


def anchor_path() -> Path:
    configured = getattr(settings, "AUDIT_ANCHOR_FILE", None)
    return Path(configured) if configured else Path(settings.BACKUP_DIR) / "audit-anchors.jsonl"


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """Every anchor in the file, each signature checked; [] when there is no file yet."""
    path = path or anchor_path()
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    anchors: list[Anchor] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            valid = data.get("mac") == sign(data)
        except (ValueError, AttributeError):
            valid = False
        if not valid:
            raise AnchorError(
                _("锚点文件 %(file)s 第 %(line)s 行签名不符（被改动或伪造）") % {"file": path.name, "line": number}
            )
        anchor = Anchor(number, data["kind"], data["seq"], data["entry_hash"], data["at"], data.get("legacy_until"))
        if anchors and anchor.seq < anchors[-1].seq:
            raise AnchorError(_("锚点文件第 %(line)s 行的序号比前一行小") % {"line": number})
        anchors.append(anchor)
    return anchors


def legacy_until(anchors: list[Anchor]) -> int:
    """Entries up to this seq were written before the chain was keyed."""
    return (anchors[0].legacy_until or 0) if anchors else 0


def _append(data: dict) -> None:
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data["mac"] = sign(data)
    line = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
    # O_APPEND: concurrent writers never interleave a line; works with `chattr +a`.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _find_legacy_end(using: str) -> int:
    """The last entry carrying an unkeyed hash before the first keyed one
    (the first anchor seals them); 0 when every entry is keyed."""
    from .models import AuditEntry

    last_unkeyed = 0
    for entry in AuditEntry.objects.using(using).order_by("seq").iterator(chunk_size=2000):
        if hash_of(entry) == entry.entry_hash:
            break
        if is_unkeyed(entry):
            last_unkeyed = entry.seq
        else:
            break
    return last_unkeyed


def write_anchor(*, kind: str = "head", seq: int | None = None, entry_hash: str | None = None, using: str = "default"):
    """Append the current head (or the given point) to the anchor file."""
    from .models import AuditHead

    if seq is None:
        head = AuditHead.objects.using(using).filter(id=1).first()
        seq, entry_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    data = {"kind": kind, "seq": seq, "entry_hash": entry_hash, "at": timezone.now().isoformat()}
    if not read_anchors():
        data["legacy_until"] = _find_legacy_end(using)
    _append(data)
    return data


def check_anchors(anchors: list[Anchor], *, using: str, last_seq: int, prefix_only: bool = False):
    """The first anchor the database contradicts, as (seq, reason); None when all agree.

    `prefix_only`: the database is a restored copy, which legitimately ends
    before the newest anchors."""
    from .models import AuditCheckpoint, AuditEntry

    checkpoint = AuditCheckpoint.objects.using(using).order_by("-seq").first()
    archived = checkpoint.seq if checkpoint else 0
    if checkpoint is not None and anchors and checkpoint.seq > anchors[0].seq:
        signed = [a for a in anchors if a.kind == "archive" and a.seq == checkpoint.seq]
        if not signed or signed[-1].entry_hash != checkpoint.entry_hash:
            return checkpoint.seq, _("归档点 %(seq)s 没有签名锚点（归档点可能是伪造的）") % {"seq": checkpoint.seq}
    for anchor in anchors:
        if anchor.seq <= archived or anchor.seq == 0:
            continue
        if anchor.seq > last_seq:
            if prefix_only:
                continue
            return anchor.seq, _(
                "锚点（%(at)s）记录到序号 %(seq)s，但数据库只到 %(last)s：末尾记录被删除，链头被改回"
            ) % {"at": anchor.at, "seq": anchor.seq, "last": last_seq}
        stored = AuditEntry.objects.using(using).filter(seq=anchor.seq).values_list("entry_hash", flat=True).first()
        if stored != anchor.entry_hash:
            return anchor.seq, _("序号 %(seq)s 与锚点（%(at)s）记录的哈希不符：记录被改写") % {
                "seq": anchor.seq,
                "at": anchor.at,
            }
    return None
