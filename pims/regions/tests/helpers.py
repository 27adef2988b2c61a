import hashlib
from pathlib import Path

from pims.audit.models import AuditEntry
from pims.regions.loader import HEADER as LOADER_HEADER
from pims.regions.models import Region, RegionHistory

HEADER = ",".join(LOADER_HEADER)


def write_csv(directory: Path, name: str, lines: list[str], *, encoding: str = "utf-8", bom: bool = False) -> Path:
    path = directory / name
    data = "\r\n".join([HEADER, *lines]) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding))
    return path


def db_state() -> tuple:
    """Counts and a checksum of every region row, to prove a failed load changed nothing."""
    rows = Region.objects.order_by("code").values_list(
        "code", "name", "level", "parent__code", "valid_from", "valid_to"
    )
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return Region.objects.count(), RegionHistory.objects.count(), AuditEntry.objects.count(), digest
