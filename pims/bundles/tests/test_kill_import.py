"""A real SIGKILL while the province applies a county's bundle (issue 19,
"kill -9 during import leaves the province unchanged and a re-import
succeeds"). Two instances on two databases of their own, run as processes:
the county exports its accepted month (`tier_demo county`), the province's
import is killed inside its write transaction, and the re-import ends in
exactly what a clean import gives. On SQLite always, on PostgreSQL as well
when the suite runs against it."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pims.integration.tests.test_kill import PostgresDb, SqliteDb, backends, manage

ROOT = Path(__file__).resolve().parents[3]
SUITE_URL = os.environ.get("DATABASE_URL", "")
COUNTY = "210124000000"
PROVINCE_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "cHJvdmluY2UtZmllbGQta2V5LXRoaXJ0eS10d28hISE=",
    "BLIND_INDEX_KEY": "province-index",
}
STATE = (
    "from hashlib import sha256; from pims.registry.models import Person, Household; "
    "from pims.events.models import Event, Spell; from pims.bundles.models import Bundle; "
    "u = sorted(str(x) for x in Person.objects.values_list('uuid', flat=True)); "
    "print(Person.objects.count(), Household.objects.count(), Event.objects.count(), Spell.objects.count(), "
    "Bundle.objects.filter(state='applied').count(), sha256(''.join(u).encode()).hexdigest())"
)


def state(env) -> str:
    return manage(env, "shell", "-c", STATE).stdout.strip().splitlines()[-1]


def writing(db) -> bool:
    """Whether another connection holds the database's write transaction."""
    if isinstance(db, SqliteDb):
        con = sqlite3.connect(db.file, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            con.close()
    import psycopg

    with psycopg.connect(db.url, autocommit=True) as pg:
        row = pg.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'registry_person' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
        ).fetchone()
        return bool(row and row[0])


def kill_while_writing(db, env, bundle: Path, deadline: float = 300.0) -> None:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "bundle_import", str(bundle)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        while time.monotonic() - started < deadline:
            if writing(db):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                assert proc.returncode == -signal.SIGKILL
                return
            if proc.poll() is not None:
                pytest.fail("the import finished before it could be killed in its write transaction")
            time.sleep(0.005)
        pytest.fail("the import never began writing")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("backend", list(backends()))
def test_sigkill_during_bundle_import_leaves_the_province_unchanged(backend, tmp_path):
    base_env = os.environ | {"PIMS_ENV": "test"}
    base_env.pop("DJANGO_SETTINGS_MODULE", None)
    template = SqliteDb(tmp_path, "template") if backend == "sqlite" else PostgresDb(SUITE_URL, "template")
    dbs = [template]
    try:
        manage(base_env | {"DATABASE_URL": template.url}, "migrate", "-v0")
        county_db, province_db = template.clone("county"), template.clone("province")
        dbs += [county_db, province_db]
        county = base_env | {"DATABASE_URL": county_db.url, "PIMS_TIER": "county", "BUNDLE_DIR": str(tmp_path / "c")}
        province = base_env | PROVINCE_KEYS | {"PIMS_TIER": "province", "BUNDLE_DIR": str(tmp_path / "p")}
        province["DATABASE_URL"] = province_db.url
        manage(county, "tier_demo", "county")
        manage(province, "setup_demo", "--skip-seed")
        for env in (county, province):
            manage(env, "bundle_keys", "init")
        manage(county, "bundle_keys", "public", str(tmp_path / "county.json"), "--county", COUNTY)
        manage(province, "bundle_keys", "public", str(tmp_path / "province.json"))
        manage(county, "bundle_keys", "trust", str(tmp_path / "province.json"))
        manage(province, "bundle_keys", "trust", str(tmp_path / "county.json"))
        manage(county, "bundle_export", "--county", COUNTY)
        (bundle,) = (tmp_path / "c" / "out").glob("*.pimsbundle")

        before = state(province)
        clean_db, killed_db = province_db.clone("clean"), province_db.clone("killed")
        dbs += [clean_db, killed_db]
        clean, killed = province | {"DATABASE_URL": clean_db.url}, province | {"DATABASE_URL": killed_db.url}
        manage(clean, "bundle_import", str(bundle))
        applied = state(clean)
        assert applied != before and applied.split()[4] == "1"  # one bundle applied, persons arrived

        kill_while_writing(killed_db, killed, bundle)
        assert state(killed) == before  # nothing of the bundle, not even its record
        manage(killed, "bundle_import", str(bundle))
        assert state(killed) == applied
    finally:
        for db in dbs:
            db.drop()
