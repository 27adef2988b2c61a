"""The audit archive file format (gzip JSON lines).

Line 1 is a header::

    {"format": "pims-audit-archive", "version": 1, "first_seq": 1, "last_seq": 900,
     "count": 900, "start_hash": "<prev_hash of first entry>",
     "last_hash": "<entry_hash of last entry>", "cutoff": "...", "created_at": "..."}

Every further line is one entry with all hashed fields plus `prev_hash` and
`entry_hash`, so the file can be verified alone (`audit_verify --archive`).
Beside it, ``<file>.sha256`` holds the file's SHA-256 in `sha256sum` format.
"""

import gzip
import hashlib
import json
from collections.abc import Generator, Iterable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from pims.lib.private_files import create_private, write_private_text

FORMAT = "pims-audit-archive"
VERSION = 1
ENTRY_FIELDS = (
    "seq",
    "actor_id",
    "actor_username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "region_code",
    "detail",
    "prev_hash",
    "entry_hash",
)


def _line(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


def entry_to_dict(entry) -> dict:
    data = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    data["at"] = entry.at.isoformat(timespec="microseconds")
    return data


def entry_from_dict(data: dict) -> SimpleNamespace:
    return SimpleNamespace(**{**data, "at": datetime.fromisoformat(data["at"])})


def write(path: Path, header: dict, entries: Iterable) -> None:
    """Write the archive as a new 0600 file (only the service account reads it)."""
    with create_private(path) as raw, gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw) as out:
        out.write(_line({"format": FORMAT, "version": VERSION, **header}))
        for entry in entries:
            out.write(_line(entry_to_dict(entry)))


def read_header(path: Path) -> dict:
    with gzip.open(path, "rb") as src:
        header = json.loads(src.readline())
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ValueError(f"{path} is not a {FORMAT} v{VERSION} file")
    return header


def read_entries(path: Path) -> Generator[SimpleNamespace, None, None]:
    with gzip.open(path, "rb") as src:
        src.readline()
        for line in src:
            yield entry_from_dict(json.loads(line))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path) -> str:
    digest = sha256_of(path)
    write_private_text(checksum_path(path), f"{digest}  {path.name}\n")
    return digest


def read_checksum(path: Path) -> str | None:
    try:
        return checksum_path(path).read_text().split()[0]
    except (FileNotFoundError, IndexError):
        return None
