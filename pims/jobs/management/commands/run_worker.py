"""`manage.py run_worker`: run the background jobs (imports, and later month
close, bundles, programme runs, matching) until stopped.

Runs in the foreground and logs to stdout, for systemd (Type=simple) or a
terminal. SIGTERM / Ctrl-C: the running job goes back to the queue and the
worker exits within seconds; the next worker continues the job from its
last commit. Several workers (on one or several machines sharing the
PostgreSQL database) may run at once. See docs/task-queue.md.
"""

import logging

from django.core.management.base import BaseCommand

from pims.jobs import worker
from pims.ops.startup import verify_startup


class Command(BaseCommand):
    help = "Run the background job worker (imports …) until stopped; SIGTERM re-queues the running job."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls of an empty queue")
        parser.add_argument("--batch", action="store_true", help="run the jobs that are ready, then exit")
        parser.add_argument("--worker-id", default="", help="unique name of this worker (default host:pid:random)")

    def handle(self, *args, interval, batch, worker_id, verbosity, **options):
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in ("pims.jobs", "django_tasks", "django_tasks_db"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.handlers:
                handler = logging.StreamHandler(self.stdout)
                handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
                logger.addHandler(handler)
                logger.propagate = False
        verify_startup()  # the same key check as the web application: refuse data the keys cannot read
        worker_id = worker_id or worker.new_worker_id()
        self.stdout.write(f"worker {worker_id} started")
        worker.run(worker_id=worker_id, interval=interval, batch=batch)
