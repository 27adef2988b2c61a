"""Reads of the integration app: import jobs in the user's jurisdiction, and
the progress figures the import page shows (read from the job's row, which
the run updates at every commit)."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pims.accounts.roles import Cap, has_capability
from pims.regions.scope import scope_q

from .models import ImportJob


def import_job_list_visible_to(*, user) -> QuerySet[ImportJob]:
    """Jobs started on the import page in the user's subtree (a county
    administrator sees the townships' jobs). Command-line jobs have no
    region and are not shown."""
    if not has_capability(user, Cap.IMPORT_DATA):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(scope_q(user, "region_code"), kind="police").exclude(region_code="")


def access_import_job(user, pk) -> ImportJob:
    """404 for missing and out-of-scope alike."""
    try:
        return import_job_list_visible_to(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class Progress:
    state: str
    stage: str  # what is happening, for the page
    percent: float
    rows_read: int
    rows_written: int  # rows judged in stage 2 (added, already registered, rejected)
    rows_total: int  # rows in the file once read (0 while still reading an XLSX)
    rows_per_second: float
    eta_seconds: float | None
    rejected: int
    running: bool
    stale: bool


def _stage_label(job: ImportJob) -> str:
    """Every household written, the job still loading: the last stage runs
    the register rules over the import (it can take a while at county size)."""
    if job.state == ImportJob.State.LOADING and job.households_total and job.loaded_through >= job.households_total:
        return _("逻辑审核")
    return job.get_state_display()


def import_progress(job: ImportJob, *, now=None) -> Progress:
    """Progress over both stages. The rate is file rows per second end to
    end (rows the completed share stands for, over the time since the
    start): honest across the two stages, which count different things."""
    from .launch import job_is_stale

    now = now or timezone.now()
    p = job.progress
    running = job.state in (ImportJob.State.STAGING, ImportJob.State.LOADING)
    end = job.finished_at if job.state == ImportJob.State.DONE and job.finished_at else now
    elapsed = max((end - job.started_at).total_seconds(), 1e-3)
    if job.state == ImportJob.State.STAGING:
        read_share = 3 * p  # staging counts for a third of the progress
        expected = job.rows_total / read_share if read_share > 0 else 0
    else:
        expected = job.rows_total
    written = job.rows_loaded + job.rows_present + job.rows_rejected if job.state != ImportJob.State.STAGING else 0
    rate = p * expected / elapsed if expected else 0.0
    eta = elapsed * (1 - p) / p if running and 0 < p < 1 else None
    return Progress(
        state=job.state,
        stage=_stage_label(job),
        percent=round(100 * p, 1),
        rows_read=job.rows_total,
        rows_written=min(written, job.rows_total),
        rows_total=job.rows_total if job.state != ImportJob.State.STAGING else 0,
        rows_per_second=rate,
        eta_seconds=eta,
        rejected=job.rows_rejected,
        running=running,
        stale=job_is_stale(job),
    )
