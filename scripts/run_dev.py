"""`make run`: the development web server and the task queue's worker, as
one command. Ctrl-C (or SIGTERM) stops both; when either ends by itself
(e.g. the port is taken) the other is stopped too, and this exits with the
first one's status.

Each child runs in a process group of its own, and this process passes the
stop on as SIGINT to the whole group: the worker then puts its running job
back in the queue (the next start continues it) and its helper processes
leave with it; runserver's reloader and server both end. Whatever is still
there after `GRACE` seconds is killed.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE = 20.0
ROOT = Path(__file__).resolve().parent.parent


def start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGINT)
    deadline = time.monotonic() + GRACE
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    for proc in procs:  # helpers a child left behind (its group outlives it)
        _signal_group(proc, signal.SIGKILL)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def supervise(commands: list[tuple[list[str], dict[str, str] | None]]) -> int:
    """Start every (argv, environment) and wait until Ctrl-C or until one ends."""
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    procs = [start(argv, env) for argv, env in commands]
    try:
        while not stopping and all(proc.poll() is None for proc in procs):
            time.sleep(0.2)
    finally:
        ended = [proc.returncode for proc in procs if proc.returncode is not None]
        stop(procs)
    if stopping:
        return 0
    return ended[0] if ended and ended[0] > 0 else 1


def main(port: str) -> int:
    python = sys.executable
    return supervise(
        [
            ([python, "manage.py", "run_worker"], None),
            ([python, "manage.py", "runserver", f"127.0.0.1:{port}"], None),
        ]
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "8000"))
