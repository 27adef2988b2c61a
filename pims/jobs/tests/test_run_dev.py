"""`make run` is one command for the web server and the worker
(scripts/run_dev.py): both start, Ctrl-C stops both — the worker in order,
its heartbeat marked stopped — and leaves no process behind; when the web
server cannot start, the worker is stopped too."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pims.integration.tests.test_kill import ROOT, SqliteDb, manage
from pims.integration.tests.test_queue import descendants, running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def beats(db) -> list[tuple]:
    with sqlite3.connect(f"file:{db.file}?mode=ro", uri=True, timeout=5) as con:
        return con.execute("SELECT worker_id, stopped_at FROM jobs_workerbeat").fetchall()


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture
def dev_env(tmp_path):
    db = SqliteDb(tmp_path, "dev")
    env = os.environ | {
        "PIMS_ENV": "test",
        "PIMS_JOB_RUNNER": "queue",
        "DATABASE_URL": db.url,
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage(env, "migrate", "-v0")
    return db, env


def run_dev(env, port: int) -> subprocess.Popen:
    # Its own process group, as a terminal's foreground job: Ctrl-C goes to the group.
    return subprocess.Popen(
        [sys.executable, "scripts/run_dev.py", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def processes_of(db) -> set[int]:
    """The processes started for this test's database (they have its DATABASE_URL)."""
    mark = f"DATABASE_URL={db.url}".encode()
    found = set()
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and mark in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                found.add(int(entry))
        except OSError:
            pass
    return found


def gone(pids: set[int], wait: float = 10.0) -> list[int]:
    deadline = time.monotonic() + wait
    while (left := [p for p in pids if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_make_run_serves_and_works_and_ctrl_c_stops_both(dev_env):
    db, env = dev_env
    port = free_port()
    proc = run_dev(env, port)
    try:
        deadline = time.monotonic() + 60
        while not (answers(port) and beats(db)) and time.monotonic() < deadline:
            assert proc.poll() is None, "run_dev ended by itself"
            time.sleep(0.2)
        assert answers(port) and [stopped for _w, stopped in beats(db)] == [None]
        children = processes_of(db) - {proc.pid}
        assert len(children) >= 4  # runserver and its reloaded server, the worker and its heartbeat
        assert children <= descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        assert proc.wait(30) == 0
        assert gone(children) == []
        assert [stopped is not None for _w, stopped in beats(db)] == [True]  # an orderly stop
        assert not answers(port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_make_run_stops_the_worker_when_the_server_cannot_start(dev_env):
    db, env = dev_env
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = run_dev(env, taken.getsockname()[1])
        try:
            assert proc.wait(60) != 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert gone(processes_of(db)) == []  # the worker did not stay behind
