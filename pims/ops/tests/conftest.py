import uuid

import psycopg
import pytest
from django.db import connection


@pytest.fixture
def committed_db(transactional_db):
    """Committed data: pg_dump and the SQLite backup API read committed state.
    (pims.testing.fixtures empties the append-only audit log before the flush.)"""


def _pg_admin_connection():
    cfg = connection.settings_dict
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        autocommit=True,
    )


def _url(target: dict) -> str:
    if target["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{target['NAME']}"
    return f"postgres://{target['USER']}@{target['HOST']}:{target['PORT']}/{target['NAME']}"


@pytest.fixture
def restore_target(tmp_path):
    """An empty database to restore into: a file for SQLite, a throwaway
    database on the same server for PostgreSQL (dropped afterwards)."""
    if connection.vendor == "sqlite":
        target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
        target["URL"] = _url(target)
        yield target
        return
    name = f"ops_restore_{uuid.uuid4().hex[:12]}"
    cfg = connection.settings_dict
    with _pg_admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    target = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": cfg["USER"],
        "PASSWORD": cfg["PASSWORD"],
        "HOST": cfg["HOST"],
        "PORT": cfg["PORT"],
    }
    target["URL"] = _url(target)
    try:
        yield target
    finally:
        with _pg_admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def backup_keys(tmp_path_factory, settings):
    """A backup key pair for the test, and private MEDIA_ROOT / BACKUP_DIR."""
    from pims.ops.keygen import generate_identity_file

    root = tmp_path_factory.mktemp("ops")
    identity = root / "backup-identity.txt"
    settings.BACKUP_RECIPIENTS = [generate_identity_file(identity)]
    settings.MEDIA_ROOT = root / "media"
    settings.BACKUP_DIR = root / "backups"
    return identity
