"""Writes of the task queue: enqueue a job, run one attempt of it, and give
the jobs of a lost worker back to the queue.

One attempt = one django_tasks_db row (`DBTaskResult`) of the task
`pims.jobs.tasks.run_job`; `Job.task_id` names the current one, and an
attempt runs only while it is still the current one and its job is queued
(compare-and-set), so a job never runs twice at once even if a stray
attempt is left behind.

How a job ends an attempt:

* its function returns → done;
* it raises `JobRefused` → failed at once, with the message;
* it raises anything else, or its worker dies (SIGKILL, power loss: found by
  `jobs_recover`) → one more failure; below the kind's `max_failures` it is
  queued again (after the kind's delay; at once after a lost worker), else
  it fails;
* its worker is told to stop (SIGTERM, Ctrl-C) → queued again at once,
  without counting a failure.

`settings.PIMS_JOB_RUNNER`: ``queue`` (the worker runs jobs: `manage.py
run_worker`) or ``inline`` (a job runs inside `job_enqueue`, in the calling
process — the tests; development only).
"""

import logging
import os
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .errors import JobRefused, WorkerStopping
from .kinds import KINDS, Kind, UnknownKind, kind_get
from .models import Job, WorkerBeat
from .procs import process_alive

log = logging.getLogger(__name__)

BEAT_EVERY = 5  # seconds between two heartbeats of a worker
DEAD_AFTER = 60  # seconds without a heartbeat before a worker on another host counts as gone
PROGRESS_EVERY = 1.0  # seconds between two progress writes of a job (stage changes always write)
INLINE_WORKER = "inline"
LOST_MESSAGE = "后台任务进程意外终止（如被强制结束或服务器重启）"
STOPPED_MESSAGE = "后台任务进程已停止，任务已重新排队"


def subject_of(obj) -> str:
    """How a job names the record it works on: "app_label.model:pk"."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def job_enqueue(*, kind: str, actor=None, region_code: str = "", args: dict | None = None, subject=None) -> Job:
    """Queue a job of a registered kind (pims.jobs.kinds) and return it.

    `args` (JSON) are the function's keyword arguments; `subject` the record
    it works on (pages find the job by it: `selectors.job_latest_for`);
    `region_code` the jurisdiction pages scope it by. The job and its first
    attempt are written in one transaction: a caller's rollback takes both.
    Inline (tests), the job runs before this returns — call it outside a
    transaction then, as a worker would run it. No audit row: the service
    that asks for the work records what the user did."""
    spec = kind_get(kind)
    with transaction.atomic():
        job = Job.objects.create(
            kind=spec.name,
            args=args or {},
            actor=actor,
            region_code=region_code,
            subject=subject_of(subject) if subject is not None else "",
        )
        if settings.PIMS_JOB_RUNNER == "queue":
            _submit(job)
    if settings.PIMS_JOB_RUNNER == "inline":
        job_execute(job.pk, task_id=None, worker_id=INLINE_WORKER)
        job.refresh_from_db()
    return job


def _submit(job: Job, *, delay: float = 0) -> None:
    """A new current attempt for the job (inside the caller's transaction)."""
    from .tasks import run_job

    run_after = timezone.now() + timedelta(seconds=delay) if delay else None
    task = run_job.using(run_after=run_after) if run_after else run_job
    result = task.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.QUEUED, task_id=result.id, worker_id="", run_after=run_after, updated_at=timezone.now()
    )


class JobContext:
    """What a job's function gets: the job, and a progress reporter."""

    def __init__(self, job: Job):
        self.job = job
        self._written = 0.0

    @property
    def attempt(self) -> int:
        return self.job.attempts

    def progress(self, done: float, total: float = 0, stage: str = "") -> None:
        """Record progress (`total` 0: unknown). Written at most once a second,
        and always when the stage changes or the work is complete."""
        now = time.monotonic()
        stage = str(stage)[:100]
        complete = bool(total) and done >= total
        if stage == self.job.stage and not complete and now - self._written < PROGRESS_EVERY:
            return
        self._written = now
        self.job.progress_done, self.job.progress_total, self.job.stage = done, total, stage
        Job.objects.filter(pk=self.job.pk).update(
            progress_done=done, progress_total=total, stage=stage, updated_at=timezone.now()
        )


# ---------------------------------------------------------------------------
# Running an attempt (in the worker; inline in tests)


class _Interrupt:
    """The worker's stop request, delivered into the job's function: a stop
    signal raises WorkerStopping there, and only there (never in the middle
    of recording an attempt's outcome)."""

    requested = False
    in_job = False

    @contextmanager
    def job_running(self):
        if self.requested:
            raise WorkerStopping("stop requested before the job started")
        self.in_job = True
        try:
            yield
        finally:
            self.in_job = False

    def request(self, why: str) -> None:
        self.requested = True
        if self.in_job:
            self.in_job = False
            raise WorkerStopping(why)


interrupt = _Interrupt()


def job_execute(job_id: int, *, task_id, worker_id: str) -> Job | None:
    """Run one attempt: claim the job (it must be queued, and `task_id` its
    current attempt), call its kind's function, record the outcome. Returns
    the job, or None when the attempt was not (or no longer) the job's.
    In the worker an error is raised again after it is recorded (the
    library records it on the attempt's row too); inline it is logged."""
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED)
    if task_id is not None:
        claimed = claimed.filter(task_id=task_id)
    now = timezone.now()
    if not claimed.update(
        state=Job.State.RUNNING,
        worker_id=worker_id,
        attempts=F("attempts") + 1,
        run_after=None,
        started_at=Coalesce("started_at", Value(now)),
        updated_at=now,
    ):
        log.info("job %s: attempt %s is not current, skipped", job_id, task_id)
        return None
    job = Job.objects.get(pk=job_id)
    try:
        spec = kind_get(job.kind)
    except UnknownKind as exc:  # a kind removed while its jobs waited
        _finish(job, worker_id, state=Job.State.FAILED, message=str(exc))
        return job
    try:
        with interrupt.job_running():
            result = spec.function(JobContext(job), **job.args)
    except WorkerStopping:
        _requeue(job, worker_id, message=STOPPED_MESSAGE)
        raise
    except JobRefused as exc:
        _finish(job, worker_id, state=Job.State.FAILED, message=str(exc))
        return job
    except Exception as exc:
        if interrupt.requested:  # e.g. the job's worker processes were stopped with it
            _requeue(job, worker_id, message=STOPPED_MESSAGE)
            raise WorkerStopping("stop requested") from exc
        _record_failure(job, spec, worker_id, message=f"{type(exc).__name__}: {exc}", lost=False)
        if worker_id == INLINE_WORKER:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            return job
        raise
    _finish(job, worker_id, state=Job.State.DONE, result=result)
    return job


def _finish(job: Job, worker_id: str, *, state: str, message: str = "", result=None) -> None:
    done = {"progress_done": F("progress_total")} if state == Job.State.DONE else {}
    now = timezone.now()
    n = Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, worker_id=worker_id).update(
        state=state, message=message[:2000], result=result, finished_at=now, updated_at=now, **done
    )
    if not n:
        log.warning("job %s: finished by %s, but another worker had taken it over", job.pk, worker_id)


def _requeue(job: Job, worker_id: str, *, message: str) -> None:
    with exclusive_transaction():
        if Job.objects.select_for_update().filter(pk=job.pk, state=Job.State.RUNNING, worker_id=worker_id).first():
            Job.objects.filter(pk=job.pk).update(message=message)
            _submit(job)


def _record_failure(job: Job, spec: Kind, worker_id: str, *, message: str, lost: bool) -> bool:
    """One more failure of the attempt `worker_id` runs: retry or fail. False
    when the job was no longer that attempt's (another worker took it)."""
    with exclusive_transaction():
        current = Job.objects.select_for_update().filter(pk=job.pk, state=Job.State.RUNNING, worker_id=worker_id)
        locked = current.first()
        if locked is None:
            return False
        job = locked
        failures = job.failures + 1
        Job.objects.filter(pk=job.pk).update(failures=failures, message=message[:2000])
        if failures >= spec.max_failures:
            now = timezone.now()
            Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, finished_at=now, updated_at=now)
        else:
            _submit(job, delay=0 if lost else spec.retry_delay(failures))
    return True


# ---------------------------------------------------------------------------
# Workers: heartbeat and recovery


def worker_beat_start(*, worker_id: str, pid_started: int) -> WorkerBeat:
    now = timezone.now()
    beat, _created = WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "pid_started": pid_started,
            "started_at": now,
            "last_seen": now,
            "stopped_at": None,
        },
    )
    return beat


def worker_beat(*, worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).update(last_seen=timezone.now())


def worker_beat_stop(*, worker_id: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.filter(worker_id=worker_id).update(last_seen=now, stopped_at=now)


def worker_is_alive(beat: WorkerBeat | None, *, now=None, host: str | None = None) -> bool:
    """A worker on this host is alive while its process is (the heartbeat may
    lag behind a long write on SQLite); on another host, while its heartbeat
    is fresh."""
    if beat is None or beat.stopped_at is not None:
        return False
    if beat.hostname == (host or socket.gethostname()):
        return process_alive(beat.pid, beat.pid_started)
    return ((now or timezone.now()) - beat.last_seen).total_seconds() < DEAD_AFTER


def jobs_recover(*, now=None) -> list[int]:
    """Give the unfinished jobs of workers that are gone back to the queue
    (run by every worker at start and every few seconds; safe to run in
    several at once). Returns the ids of the jobs recovered."""
    now = now or timezone.now()
    host = socket.gethostname()
    unfinished = list(Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING]))
    attempts = {
        r.id: r
        for r in DBTaskResult.objects.filter(id__in=[j.task_id for j in unfinished if j.task_id], status="RUNNING")
    }
    beats = {b.worker_id: b for b in WorkerBeat.objects.filter(worker_id__in=_workers_of(unfinished, attempts))}

    def gone(worker_id: str) -> bool:
        return worker_id != INLINE_WORKER and not worker_is_alive(beats.get(worker_id), now=now, host=host)

    recovered = []
    for job in unfinished:
        attempt = attempts.get(job.task_id)
        if job.state == Job.State.RUNNING and gone(job.worker_id):
            _attempt_lost(attempt)
            spec = KINDS.get(job.kind) or Kind(job.kind, job.kind, "", max_failures=1)  # a removed kind: fail
            if _record_failure(job, spec, job.worker_id, message=LOST_MESSAGE, lost=True):
                recovered.append(job.pk)
        elif job.state == Job.State.QUEUED and attempt is not None and gone(attempt.worker_ids[-1]):
            # The worker claimed the attempt and died before the job started.
            _attempt_lost(attempt)
            with exclusive_transaction():
                if (
                    Job.objects.select_for_update()
                    .filter(pk=job.pk, state=Job.State.QUEUED, task_id=attempt.id)
                    .first()
                ):
                    _submit(job)
                    recovered.append(job.pk)
    return recovered


def _workers_of(jobs: list[Job], attempts: dict) -> set[str]:
    return {j.worker_id for j in jobs if j.worker_id} | {a.worker_ids[-1] for a in attempts.values() if a.worker_ids}


def _attempt_lost(attempt: DBTaskResult | None) -> None:
    """The library's row of an attempt whose worker died says so (it would
    stay 'running' for ever)."""
    if attempt is not None:
        DBTaskResult.objects.filter(id=attempt.id, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="pims.jobs.WorkerLost",
            traceback=LOST_MESSAGE,
        )


def worker_beats_prune(*, now=None) -> None:
    """Heartbeats of workers gone for a day, unless a job still names them."""
    now = now or timezone.now()
    busy = Job.objects.filter(state=Job.State.RUNNING).values("worker_id")
    WorkerBeat.objects.filter(last_seen__lt=now - timedelta(days=1)).exclude(worker_id__in=busy).delete()
