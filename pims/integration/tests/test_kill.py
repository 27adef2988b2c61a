"""A real SIGKILL in the middle of `manage.py import_police`, twice (while
reading, while loading); the re-run ends in exactly the register a clean
import gives (same counts, same per-person checksum). The killed import
judges its rows in forked worker processes and (on PostgreSQL) loads chunks
on two connections at once (pims.integration.parallel); the clean one does
both in one process on one connection, so the checksum also says both give
the same register. The workers of a killed import must not outlive it. On SQLite always (a file
database), on PostgreSQL in a database of its own when the suite runs
against PostgreSQL."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from pims.synth.police_file import write_police_file

ROOT = Path(__file__).resolve().parents[3]
SUITE_URL = os.environ.get("DATABASE_URL", "")


def manage(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


class SqliteDb:
    def __init__(self, tmp_path: Path, name: str):
        self.file = tmp_path / f"{name}.sqlite3"
        self.url = f"sqlite:///{self.file}"

    def clone(self, name):
        other = SqliteDb(self.file.parent, name)
        shutil.copy(self.file, other.file)
        return other

    def job(self):
        try:
            with sqlite3.connect(f"file:{self.file}?mode=ro", uri=True, timeout=1) as con:
                return con.execute(
                    "SELECT state, staged_lines, loaded_through FROM integration_importjob ORDER BY id DESC LIMIT 1"
                ).fetchone()
        except sqlite3.OperationalError:
            return None

    def drop(self):
        pass


class PostgresDb:
    def __init__(self, base_url: str, name: str):
        import psycopg

        # The suite's own database may not exist (pytest uses test_<name>): administer from "postgres".
        base_url = urlunsplit(urlsplit(base_url)._replace(path="/postgres"))
        self.admin_url = base_url
        self.name = f"pims_killtest_{name}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(base_url, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {self.name}")
        self.url = urlunsplit(urlsplit(base_url)._replace(path=f"/{self.name}"))

    def clone(self, name):
        import psycopg

        other = object.__new__(PostgresDb)
        other.admin_url, other.name = self.admin_url, f"pims_killtest_{name}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {other.name} TEMPLATE {self.name}")
        other.url = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{other.name}"))
        return other

    def job(self):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            return con.execute(
                "SELECT state, staged_lines, loaded_through FROM integration_importjob ORDER BY id DESC LIMIT 1"
            ).fetchone()

    def drop(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def backends():
    yield "sqlite"
    if SUITE_URL.startswith(("postgres://", "postgresql://")):
        yield "postgresql"


def kill_when(db, env, path, ready, deadline=180.0):
    """Start the import, SIGKILL it as soon as `ready(job_row)`; return the row seen."""
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "import_police", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        while time.monotonic() - started < deadline:
            row = db.job()
            if row is not None and ready(row):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                assert proc.returncode == -signal.SIGKILL
                assert_no_survivors(path)
                return row
            if proc.poll() is not None:
                pytest.fail(f"import finished before it could be killed (job {row})")
            time.sleep(0.02)
        pytest.fail("import made no progress")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def assert_no_survivors(path: Path, wait: float = 10.0) -> None:
    """No process of the killed import (its stage-1 workers share its
    command line) is left once it is gone."""
    deadline = time.monotonic() + wait
    while True:
        alive = [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs_import_of(pid, path)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert alive == [], f"import processes left after SIGKILL: {alive}"


def _runs_import_of(pid: str, path: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and b"import_police" in cmdline and str(path).encode() in cmdline


def checksum(env) -> tuple[str, str]:
    out = manage(
        env,
        "shell",
        "-c",
        "from pims.integration.testing import register_checksum as c; from pims.registry.models import "
        "Person, Household; print(Person.objects.count(), Household.objects.count(), c())",
    ).stdout
    persons, households, digest = out.strip().splitlines()[-1].split()
    return f"{persons} persons {households} households", digest


@pytest.mark.parametrize("backend", list(backends()))
def test_sigkill_then_rerun_equals_a_clean_import(backend, regions, codes, population, tmp_path):
    _g, pop = population(per_village=200)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    base_env = os.environ | {
        "PIMS_ENV": "test",
        "PIMS_IMPORT_CHUNK_ROWS": "25",
        "PIMS_IMPORT_CHUNK_HOUSEHOLDS": "4",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    base_env.pop("DJANGO_SETTINGS_MODULE", None)
    template = SqliteDb(tmp_path, "template") if backend == "sqlite" else PostgresDb(SUITE_URL, "template")
    dbs = [template]
    try:
        env = base_env | {"DATABASE_URL": template.url}
        manage(env, "migrate", "-v0")
        manage(env, "load_regions", "-v0")
        manage(env, "load_codes", "-v0")
        clean, killed = template.clone("clean"), template.clone("killed")
        dbs += [clean, killed]
        clean_env = base_env | {
            "DATABASE_URL": clean.url,
            "PIMS_IMPORT_WORKERS": "1",
            "PIMS_IMPORT_LOAD_CONNECTIONS": "1",
        }
        killed_env = base_env | {
            "DATABASE_URL": killed.url,
            "PIMS_IMPORT_WORKERS": "2",
            "PIMS_IMPORT_PARALLEL_BYTES": "0",
            "PIMS_IMPORT_LOAD_CONNECTIONS": "2",
        }

        manage(clean_env, "import_police", str(path))
        first = kill_when(killed, killed_env, path, lambda row: row[0] == "staging" and row[1] > 1)
        second = kill_when(killed, killed_env, path, lambda row: row[0] == "loading" and row[2] > 0)
        assert first[0] == "staging" and second[0] == "loading"
        finished = manage(killed_env, "import_police", str(path))
        assert "rejected" in finished.stdout

        assert killed.job()[0] == "done"
        counts, digest = checksum(killed_env)
        assert (counts, digest) == checksum(clean_env)
        assert counts == f"{len(pop.persons)} persons {len(pop.households)} households"
    finally:
        for db in dbs:
            db.drop()
