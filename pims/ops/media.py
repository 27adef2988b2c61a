"""MEDIA_ROOT in a backup: scans, uploaded import files, rejected-rows files.

The files go into one tar stream (encrypted on its way to disk, never
written in clear). Their names can hold personal data, so the manifest gets
only the count, the total size and a SHA-256 over the sorted list of
(path, size, SHA-256) — enough for the restore to prove every file came back.
"""

import hashlib
import os
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

from pims.audit.archive_file import sha256_of


@dataclass
class MediaSummary:
    files: int
    bytes: int
    listing_sha256: str

    def as_dict(self) -> dict:
        return {"files": self.files, "bytes": self.bytes, "listing_sha256": self.listing_sha256}


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = []
    for directory, _dirs, names in os.walk(root):
        found += [Path(directory, name) for name in names if Path(directory, name).is_file()]
    return sorted(found)


def summarise(root: Path) -> MediaSummary:
    listing = hashlib.sha256()
    total = 0
    files = _files(root)
    for path in files:
        size = path.stat().st_size
        total += size
        listing.update(f"{path.relative_to(root).as_posix()}\0{size}\0{sha256_of(path)}\n".encode())
    return MediaSummary(files=len(files), bytes=total, listing_sha256=listing.hexdigest())


def pipe(producer, consumer) -> None:
    """Run `producer(writer)` in a thread and `consumer(reader)` here, joined
    by an OS pipe, so a stream passes from one to the other without being
    written to disk. The first failure of either side is raised."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce():
        try:
            with os.fdopen(write_fd, "wb") as writer:
                producer(writer)
        except BrokenPipeError:
            pass  # the consumer stopped first and raises its own error
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=produce, name="ops-pipe", daemon=True)
    thread.start()
    try:
        with os.fdopen(read_fd, "rb") as reader:
            consumer(reader)
    finally:
        thread.join()
    if failure:
        raise failure[0]


def write_tar(root: Path, writer) -> None:
    with tarfile.open(fileobj=writer, mode="w|") as tar:
        for path in _files(root):
            tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)


def read_tar(reader, root: Path) -> None:
    """Unpack a tar stream into `root` with the 'data' filter: no absolute
    paths, no links out of the tree, no device files."""
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        tar.extractall(root, filter="data")


def is_empty(root: Path) -> bool:
    return not root.exists() or not any(root.iterdir())
