"""Make a backup key pair, without Django settings (so it also runs before
BACKUP_RECIPIENTS is set, which production settings require):

    .venv/bin/python -m pims.ops.keygen /media/keysafe/pims-backup.key

writes the private key (age X25519 identity, as `age-keygen` does) to the
file, mode 0400, never over an existing file, and prints the public key for
BACKUP_RECIPIENTS. `manage.py backup_keygen FILE` does the same.
"""

import datetime as dt
import os
import sys
from pathlib import Path

from pyrage import x25519


def identity_file_text(identity) -> str:
    # The key's own creation stamp (as age-keygen writes), not a domain date.
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return f"# created: {created}\n# public key: {identity.to_public()}\n{identity}\n"


def generate_identity_file(path: Path) -> str:
    """Write a new identity to `path`; returns its public key (age1…)."""
    identity = x25519.Identity.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(identity_file_text(identity).encode())
    os.chmod(path, 0o400)
    return str(identity.to_public())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pims.ops.keygen FILE", file=sys.stderr)
        return 2
    try:
        public = generate_identity_file(Path(argv[0]))
    except FileExistsError:
        print(f"{argv[0]} exists already; a backup key is never overwritten", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot write {argv[0]}: {exc.strerror}", file=sys.stderr)
        return 1
    print(
        f"private key written to {argv[0]} — keep it in the key safe; without it no backup can be read", file=sys.stderr
    )
    print(public)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
