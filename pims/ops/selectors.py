from django.db.models import Max

from .models import ScheduledRun
from .schedule import JOBS


def scheduled_jobs_overview() -> list[dict]:
    """Every scheduled job with its last run (two queries, whatever the number of jobs)."""
    latest = dict(ScheduledRun.objects.values("job").annotate(last=Max("started_at")).values_list("job", "last"))
    runs = {
        run.job: run
        for run in ScheduledRun.objects.filter(job__in=list(latest), started_at__in=list(latest.values()))
        if latest.get(run.job) == run.started_at
    }
    return [{"job": job, "last": runs.get(job.name)} for job in JOBS]
