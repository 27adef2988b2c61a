"""Files only the service account can read: 0600 files in 0700 directories.

Backups and audit archives are created with these modes explicitly (never
through the process umask, which is shared by every thread of a worker).
"""

import io
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing directory made
    by us is tightened to 0700 as well."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(PRIVATE_DIR)
    return path


def create_private(path: Path) -> io.BufferedWriter:
    """Open a new file for binary writing with mode 0600; refuses an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def write_private_text(path: Path, text: str) -> None:
    """Write `text` to `path` as a 0600 file (replacing an existing one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(text.encode())


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` as a 0600 file (replacing an existing one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
