"""An import started on the import page runs on the task queue, in real
processes: the page's process (a `manage.py shell` standing in for a web
worker) queues it and exits — the web process restarting changes nothing —
and `manage.py run_worker` runs it. The worker is SIGKILLed while reading,
stopped (SIGTERM) while loading, SIGKILLed again while loading, and started
each time anew; the job then ends in exactly the register an uninterrupted
run on the queue gives (same counts, same per-person checksum), with its
progress recorded on the way. The worker judges in forked processes and (on
PostgreSQL) loads on two connections, as a page-started import does; none
of its processes outlives a SIGKILL. On SQLite always, on PostgreSQL too
when the suite runs against it (databases of its own, as test_kill)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pims.synth.police_file import write_police_file

from .test_kill import ROOT, SUITE_URL, PostgresDb, SqliteDb, backends, checksum, manage

OPERATOR = """
from pims.accounts.models import User
from pims.regions.models import Region
User.objects.create_user(username="op", password="x-Long-pass-1", role="township_operator",
                         region=Region.objects.get(code="210124101000"))
"""
START = """
from django.core.files.uploadedfile import SimpleUploadedFile
from pims.accounts.models import User
from pims.integration.launch import import_start
job = import_start(actor=User.objects.get(username="op"), upload=SimpleUploadedFile("extract.csv", open({path!r}, "rb").read()))
print("JOB", job.pk, job.state)
"""
IMPORT = "SELECT state, staged_lines, loaded_through, rows_total, rows_loaded, rows_rejected, rejected_file FROM integration_importjob WHERE id = {pk}"  # noqa: E501
QUEUE = "SELECT state, attempts, failures, stage, message FROM jobs_job WHERE subject = 'integration.importjob:{pk}'"  # noqa: E501
ATTEMPTS = "SELECT status FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"


def query(db, sql: str) -> list[tuple]:
    if isinstance(db, SqliteDb):
        with sqlite3.connect(f"file:{db.file}?mode=ro", uri=True, timeout=5) as con:
            return con.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(db.url, autocommit=True) as con:
        return con.execute(sql).fetchall()


def start_on_the_page(env, path) -> int:
    out = manage(env, "shell", "-c", START.format(path=str(path))).stdout
    return int(next(x for x in out.splitlines() if x.startswith("JOB")).split()[1])


def worker(env) -> subprocess.Popen:
    """A worker, logging to the test's directory (read it when a test fails)."""
    log = open(Path(env["MEDIA_ROOT"]).parent / "worker.log", "ab")  # noqa: SIM115 — the child holds it
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "-v2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(db, pk, ready, proc=None, deadline=180.0) -> tuple:
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        rows = query(db, IMPORT.format(pk=pk))
        if rows and ready(rows[0]):
            return rows[0]
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker ended (status {proc.returncode}) before {rows}")
        time.sleep(0.02)
    pytest.fail(f"the import did not get there: {rows}")


def descendants(pid: int) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, set()).add(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_9(proc: subprocess.Popen) -> None:
    """SIGKILL the worker; its heartbeat and judging processes leave by themselves."""
    helpers = descendants(proc.pid)
    assert helpers, "the worker runs a heartbeat process"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while (left := [p for p in helpers if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"worker processes left after SIGKILL: {left}"


def stop(proc: subprocess.Popen, within: float = 20.0) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(within) == 0


@pytest.mark.parametrize("backend", list(backends()))
def test_a_page_started_import_survives_restarts_and_killed_workers(backend, regions, population, tmp_path):
    _g, pop = population(per_village=200)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    outside = sum(1 for p in pop.persons if pop.households[p.household].village_code.startswith("210124102"))
    base_env = os.environ | {
        "PIMS_ENV": "test",
        "PIMS_JOB_RUNNER": "queue",
        "PIMS_IMPORT_CHUNK_ROWS": "25",
        "PIMS_IMPORT_CHUNK_HOUSEHOLDS": "4",
        "PIMS_IMPORT_WORKERS": "2",
        "PIMS_IMPORT_PARALLEL_BYTES": "0",
        "PIMS_IMPORT_LOAD_CONNECTIONS": "2",
    }
    base_env.pop("DJANGO_SETTINGS_MODULE", None)
    template = SqliteDb(tmp_path, "template") if backend == "sqlite" else PostgresDb(SUITE_URL, "template")
    dbs = [template]
    try:
        env = base_env | {"DATABASE_URL": template.url, "MEDIA_ROOT": str(tmp_path / "media-template")}
        for command in (["migrate", "-v0"], ["load_regions", "-v0"], ["load_codes", "-v0"], ["shell", "-c", OPERATOR]):
            manage(env, *command)
        clean, killed = template.clone("qclean"), template.clone("qkilled")
        dbs += [clean, killed]
        media = tmp_path / "media"
        clean_env = base_env | {"DATABASE_URL": clean.url, "MEDIA_ROOT": str(tmp_path / "media-clean")}
        env = base_env | {"DATABASE_URL": killed.url, "MEDIA_ROOT": str(media)}

        # Uninterrupted, for reference: queued on the page, run by a worker that exits when the queue is empty.
        clean_pk = start_on_the_page(clean_env, path)
        ran = manage(clean_env, "run_worker", "--batch", "-v2")
        assert query(clean, IMPORT.format(pk=clean_pk))[0][0] == "done", ran.stdout[-3000:]

        pk = start_on_the_page(env, path)  # the page's process has exited: the job waits on the queue
        assert query(killed, IMPORT.format(pk=pk))[0][:2] == ("staging", 0)
        assert query(killed, QUEUE.format(pk=pk))[0][:3] == ("queued", 0, 0)

        w = worker(env)
        wait_for(killed, pk, lambda row: row[0] == "staging" and row[1] > 1, w)
        kill_9(w)

        w = worker(env)
        wait_for(killed, pk, lambda row: row[0] == "loading" and row[2] > 0, w)
        # The page shows the import's own figures (its row); the queue's record has the stage.
        assert query(killed, QUEUE.format(pk=pk))[0][:4] == ("running", 2, 1, "写入登记库")
        stop(w)  # an orderly stop: the job goes back to the queue, no failure counted
        assert query(killed, QUEUE.format(pk=pk))[0][:3] == ("queued", 2, 1)

        stopped_at = query(killed, IMPORT.format(pk=pk))[0]
        assert stopped_at[0] == "loading"
        w = worker(env)
        wait_for(killed, pk, lambda row: row[0] == "loading" and row[2] > stopped_at[2], w)
        kill_9(w)
        assert query(killed, QUEUE.format(pk=pk))[0][0] == "running"  # until a worker finds its worker gone

        w = worker(env)
        state, _lines, _through, total, loaded, rejected, rejected_file = wait_for(
            killed, pk, lambda row: row[0] in ("done", "failed"), w
        )
        deadline = time.monotonic() + 30  # the import is done; its job a moment later
        while query(killed, QUEUE.format(pk=pk))[0][0] != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        stop(w)

        assert query(killed, QUEUE.format(pk=pk))[0][:3] == ("done", 4, 2)
        assert sorted(s for (s,) in query(killed, ATTEMPTS)) == ["FAILED"] * 3 + ["SUCCESSFUL"]
        assert (state, total, loaded, rejected) == ("done", len(pop.persons), len(pop.persons) - outside, outside)
        assert rejected_file.startswith(str(media)) and os.path.isfile(rejected_file)
        assert not list((media / "imports" / "uploads").rglob("*.csv"))  # the upload is deleted when done
        assert checksum(env) == checksum(clean_env)
    finally:
        for db in dbs:
            db.drop()
