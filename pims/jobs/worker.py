"""The worker process (`manage.py run_worker`): django_tasks_db's worker
loop, plus

* a **heartbeat**: a small forked process beside the worker writes its
  `WorkerBeat` row every few seconds for as long as the worker lives, and
  gives the jobs of workers that are gone back to the queue
  (`services.jobs_recover`) — once at start, then every few seconds. A
  process, not a thread: the police import forks its judging workers, which
  is only safe (and only done) in a single-threaded process;
* a **stop** that does not wait for the running job: SIGTERM or Ctrl-C stops
  the job's function where it is (`errors.WorkerStopping`), puts the job back
  in the queue and exits; the next worker continues it (every kind is
  resumable). A second signal exits at once. SIGKILL needs nothing: the
  heartbeat stops with the process, and the next worker's recovery finds the
  job.
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

from django.db import DatabaseError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from . import services
from .procs import start_ticks

log = logging.getLogger(__name__)
RECOVER_EVERY = 10  # seconds between two recovery passes of a worker's heartbeat process
PRUNE_EVERY = 3600  # seconds between two prunings of old heartbeats


def new_worker_id() -> str:
    """host:pid:random, at most 64 characters (the library's limit)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


class Worker(db_worker.Worker):
    def shutdown(self, signum, frame):
        if self.running and self.running_task:
            log.warning("%s: stopping the running job; it goes back to the queue", signal.strsignal(signum))
            self.running = False
            services.interrupt.request(signal.strsignal(signum))
            return
        super().shutdown(signum, frame)


def run(*, worker_id: str, interval: float = 1.0, batch: bool = False) -> None:
    """Run a worker until it is stopped (or, `batch`, until the queue is empty)."""
    ticks = start_ticks()
    services.worker_beat_start(worker_id=worker_id, pid_started=ticks)
    beater = _start_beater(worker_id)
    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        beater.terminate()
        beater.join(5)
        close_old_connections()
        services.worker_beat_stop(worker_id=worker_id)
        log.info("worker %s stopped", worker_id)


def _start_beater(worker_id: str):
    # The child must not share the worker's database sessions: close them,
    # each process then opens its own.
    connections.close_all()
    context: Any = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    beater = context.Process(target=_beat_loop, args=(worker_id, os.getpid()), name="pims-worker-beat", daemon=True)
    beater.start()
    return beater


def _beat_loop(worker_id: str, parent: int) -> None:
    """Beat and recover until the worker is gone (it may be SIGKILLed: then
    nobody stops this process, so it watches its parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the worker; it stops us
    next_beat = next_recover = next_prune = 0.0
    while os.getppid() == parent:
        now = time.monotonic()
        try:
            if now >= next_beat:
                services.worker_beat(worker_id=worker_id)
                next_beat = now + services.BEAT_EVERY
            if now >= next_recover:
                if recovered := services.jobs_recover():
                    log.warning("jobs of a lost worker queued again: %s", recovered)
                next_recover = now + RECOVER_EVERY
            if now >= next_prune:
                services.worker_beats_prune()
                next_prune = now + PRUNE_EVERY
        except DatabaseError as exc:  # e.g. SQLite busy with a long write: try again soon
            log.info("heartbeat: %s", exc)
            close_old_connections()
        time.sleep(0.5)
    sys.exit(0)
