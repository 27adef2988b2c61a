"""Reads of the task queue: a record's latest job and its state for a page,
and the workers' heartbeat (for /healthz and the pages' warning)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import Job, WorkerBeat
from .services import DEAD_AFTER, subject_of


def job_latest_for(obj) -> Job | None:
    """The newest job that works on `obj` (services.job_enqueue's `subject`)."""
    if obj.pk is None:
        return None
    return Job.objects.filter(subject=subject_of(obj)).order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class WorkerHealth:
    alive: bool  # some worker beat within DEAD_AFTER seconds and has not stopped
    last_seen: datetime | None  # the freshest heartbeat of any worker, stopped ones included
    workers: int  # workers beating now


def worker_health(*, now=None) -> WorkerHealth:
    """The workers' heartbeat, for /healthz and the pages: is anyone there to
    run the queue? One query over the (small) heartbeat table."""
    now = now or timezone.now()
    beats = list(WorkerBeat.objects.order_by("-last_seen").values_list("last_seen", "stopped_at")[:100])
    beating = [seen for seen, stopped in beats if stopped is None and (now - seen).total_seconds() < DEAD_AFTER]
    return WorkerHealth(alive=bool(beating), last_seen=beats[0][0] if beats else None, workers=len(beating))


@dataclass(frozen=True)
class JobStatus:
    job: Job
    retry_at: datetime | None  # queued after a failure, waiting until then
    waiting_for_worker: bool  # unfinished, and no worker is running
    worker: WorkerHealth


def job_status(job: Job, *, now=None) -> JobStatus:
    now = now or timezone.now()
    health = worker_health(now=now)
    retry_at = job.run_after if job.state == Job.State.QUEUED and job.run_after and job.run_after > now else None
    return JobStatus(
        job=job, retry_at=retry_at, waiting_for_worker=not job.finished and not health.alive, worker=health
    )
