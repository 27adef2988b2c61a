"""Print a development .env with fresh random keys (used once by `make run`)."""

import base64
import os
import secrets


def main() -> None:
    print("# Written by `make run` for local development. Never use in production.")
    print("PIMS_ENV=development")
    print("DEBUG=true")
    print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"FIELD_ENCRYPTION_KEYS={base64.b64encode(os.urandom(32)).decode()}")
    print(f"BLIND_INDEX_KEY={base64.b64encode(os.urandom(32)).decode()}")
    print(f"AUDIT_CHAIN_KEY={base64.b64encode(os.urandom(32)).decode()}")
    print("# Backups (manage.py backup) need a key pair: .venv/bin/python -m pims.ops.keygen FILE, then")
    print("# BACKUP_RECIPIENTS=<the printed age1… key>")


if __name__ == "__main__":
    main()
