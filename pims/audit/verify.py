"""Verification of the audit hash chain, in the database and in archive files.

The walk is the same for both: entries in seq order, each must carry the next
seq, link to its predecessor's hash and carry its own keyed hash (HMAC under
AUDIT_CHAIN_KEY; pims.audit.chain). The first broken link is reported and the
walk stops there, because everything after it is unprovable anyway. Then the
signed anchors outside the database (pims.audit.anchors) must agree with it:
that catches a chain cut short with its head moved back.
"""

from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from django.db import connections
from django.utils.translation import gettext as _

from . import anchors as anchor_file
from . import archive_file
from .chain import GENESIS_HASH, hash_of
from .models import AuditCheckpoint, AuditEntry, AuditHead

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Break:
    """The first broken link: `seq` is the entry at fault (None: the file)."""

    seq: int | None
    reason: str

    def __str__(self):
        where = _("序号 %(seq)s") % {"seq": self.seq} if self.seq is not None else _("文件")
        return f"{where}: {self.reason}"


@dataclass
class ChainReport:
    start_seq: int
    start_hash: str
    last_seq: int
    last_hash: str
    checked: int = 0
    broken: Break | None = None
    anchors: int = 0  # signed anchors compared (0: none written yet)

    @property
    def ok(self) -> bool:
        return self.broken is None


def check_link(entry, *, expected_seq: int, prev_hash: str, legacy_until: int = 0) -> Break | None:
    if entry.seq > expected_seq:
        return Break(
            expected_seq,
            _("序号 %(first)s 至 %(last)s 缺失（记录被删除）") % {"first": expected_seq, "last": entry.seq - 1},
        )
    if entry.seq < expected_seq:
        return Break(entry.seq, _("序号重复或顺序错乱，应为 %(expected)s") % {"expected": expected_seq})
    if entry.prev_hash != prev_hash:
        return Break(entry.seq, _("前一哈希与上一条记录的哈希不符（上一条记录被改动或替换）"))
    if hash_of(entry, legacy_until=legacy_until) != entry.entry_hash:
        return Break(entry.seq, _("内容与哈希不符（记录被篡改）"))
    return None


def walk(
    entries: Iterable, *, start_seq: int = 0, start_hash: str = GENESIS_HASH, legacy_until: int = 0
) -> ChainReport:
    """Check `entries` (in seq order) as the continuation of a chain ending at
    (`start_seq`, `start_hash`); entries up to `legacy_until` carry unkeyed hashes."""
    report = ChainReport(start_seq=start_seq, start_hash=start_hash, last_seq=start_seq, last_hash=start_hash)
    for entry in entries:
        broken = check_link(
            entry, expected_seq=report.last_seq + 1, prev_hash=report.last_hash, legacy_until=legacy_until
        )
        if broken is not None:
            report.broken = broken
            break
        report.checked += 1
        report.last_seq = entry.seq
        report.last_hash = entry.entry_hash
    return report


def latest_checkpoint(using: str = "default") -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.using(using).order_by("-seq").first()


def _check_head(report: ChainReport, using: str) -> Break | None:
    head = AuditHead.objects.using(using).filter(id=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) == (report.last_seq, report.last_hash):
        return None
    if head_seq > report.last_seq:
        return Break(
            report.last_seq + 1,
            _("链头为序号 %(head)s，但最后一条记录为 %(last)s（末尾记录被删除）")
            % {"head": head_seq, "last": report.last_seq},
        )
    return Break(head_seq or None, _("链头与最后一条记录不符"))


def _anchors_and_legacy(using: str) -> tuple[list, int, Break | None]:
    """The signed anchors and the end of the unkeyed (pre-0.2) entries. Before
    the first anchor is written, that end is found in the data itself."""
    try:
        anchors = anchor_file.read_anchors()
    except anchor_file.AnchorError as exc:
        return [], 0, Break(None, str(exc))
    if anchors:
        return anchors, anchor_file.legacy_until(anchors), None
    return [], anchor_file._find_legacy_end(using), None


def verify_database(*, using: str = "default", chunk_size: int = CHUNK_SIZE, prefix_only: bool = False) -> ChainReport:
    """Walk the chain stored in the database, starting from the latest archive
    checkpoint (or the genesis hash), check the head row against its end and
    every signed anchor against the entries. `prefix_only`: a restored copy,
    which may end before the newest anchors."""
    anchors, legacy, problem = _anchors_and_legacy(using)
    checkpoint = latest_checkpoint(using)
    start_seq, start_hash = (checkpoint.seq, checkpoint.entry_hash) if checkpoint else (0, GENESIS_HASH)
    # A generator in fact (closable), typed as a plain iterator by the stubs.
    entries = cast(
        Generator[AuditEntry, None, None], AuditEntry.objects.using(using).order_by("seq").iterator(chunk_size)
    )
    with closing(entries):  # stopping at a break must not leave a server-side cursor open
        report = walk(entries, start_seq=start_seq, start_hash=start_hash, legacy_until=legacy)
    report.anchors = len(anchors)
    if report.ok:
        report.broken = problem or _check_head(report, using)
    if report.ok:
        contradiction = anchor_file.check_anchors(
            anchors, using=using, last_seq=report.last_seq, prefix_only=prefix_only
        )
        if contradiction is not None:
            report.broken = Break(*contradiction)
    return report


def verify_archive(path: Path, *, using: str | None = "default") -> ChainReport:
    """Check an archive file: its SHA-256 file, its header, its chain, and (when
    `using` is given) the checkpoint the database holds for it."""
    header = archive_file.read_header(path)
    report = ChainReport(
        start_seq=header["first_seq"] - 1,
        start_hash=header["start_hash"],
        last_seq=header["first_seq"] - 1,
        last_hash=header["start_hash"],
    )
    problem = _check_file_checksum(path)
    if problem is None:
        try:
            legacy = anchor_file.legacy_until(anchor_file.read_anchors())
        except anchor_file.AnchorError as exc:
            problem, legacy = Break(None, str(exc)), 0
    if problem is None:
        with closing(archive_file.read_entries(path)) as entries:
            report = walk(entries, start_seq=report.start_seq, start_hash=report.start_hash, legacy_until=legacy)
        problem = report.broken or _check_footer(report, header)
    if problem is None and using is not None:
        problem = _check_against_checkpoint(header, path, using)
    report.broken = problem
    return report


def _check_file_checksum(path: Path) -> Break | None:
    expected = archive_file.read_checksum(path)
    if expected is None:
        return Break(None, _("缺少校验文件 %(name)s") % {"name": archive_file.checksum_path(path).name})
    if archive_file.sha256_of(path) != expected:
        return Break(None, _("文件的 SHA-256 与校验文件不符（文件被改动）"))
    return None


def _check_footer(report: ChainReport, header: dict) -> Break | None:
    if (report.last_seq, report.last_hash) != (header["last_seq"], header["last_hash"]):
        return Break(
            report.last_seq + 1,
            _("文件头声明截止于序号 %(seq)s，但记录截止于 %(last)s")
            % {"seq": header["last_seq"], "last": report.last_seq},
        )
    return None


def _check_against_checkpoint(header: dict, path: Path, using: str) -> Break | None:
    checkpoint = AuditCheckpoint.objects.using(using).filter(seq=header["last_seq"]).first()
    if checkpoint is None:
        return None
    if checkpoint.entry_hash != header["last_hash"] or checkpoint.sha256 != archive_file.sha256_of(path):
        return Break(checkpoint.seq, _("与数据库中的归档点记录不符"))
    return None


TRIGGER_NAMES = {
    "postgresql": {"audit_entry_append_only", "audit_entry_no_truncate"},
    "sqlite": {"audit_entry_no_update", "audit_entry_no_delete"},
}


def trigger_problems(using: str = "default") -> list[str]:
    """Append-only triggers (migration 0003) missing from the database or
    disabled (ALTER TABLE … DISABLE TRIGGER); [] when all are in force."""
    connection = connections[using]
    expected = TRIGGER_NAMES.get(connection.vendor, set())
    if not expected:
        return []
    sql = {
        # tgenabled: 'O' fires (origin), 'D' disabled, 'R'/'A' replica/always.
        "postgresql": "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass",
        "sqlite": "SELECT name, 'O' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditentry'",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        present = dict(cursor.fetchall())
    problems = [f"{name}: missing" for name in sorted(expected - set(present))]
    problems += [f"{name}: disabled" for name in sorted(expected & set(present)) if present[name] == "D"]
    return problems
