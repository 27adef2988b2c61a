"""Test helpers: run the queue in the test's own process."""

from .worker import Worker


def run_ready_jobs(worker_id: str = "test-host:1:worker", max_tasks: int | None = None) -> None:
    """Run every attempt that is ready, here and now, as a worker does (its
    loop, without the heartbeat process or signal handlers); returns when
    none is left (a retry waiting for its time is not ready)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
