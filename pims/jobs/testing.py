"""Test helpers: run the queue in the test's own process."""

from unittest import mock

from django_tasks_db.management.commands import db_worker

from .worker import Worker


def run_ready_jobs(worker_id: str = "test-host:1:worker", max_tasks: int | None = None) -> None:
    """Run every attempt that is ready, here and now, as a worker does (its
    loop, without the heartbeat process or signal handlers); returns when
    none is left (a retry waiting for its time is not ready). The loop's
    closing of stale connections is held off: inside a test's transaction
    it would close the test's own connection (PostgreSQL)."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()
