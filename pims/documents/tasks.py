"""The documents' jobs on the task queue (pims/jobs/kinds.py)."""

from pims.jobs.errors import JobRefused

from .historic_jobs import ImportStopped, historic_import_run


def historic_import_job(ctx, *, historic_import: int) -> dict:
    """Import (or resume importing) an uploaded file of historic documents."""

    def progress(done, total):
        ctx.progress(done, total, "导入历史证件")

    try:
        job = historic_import_run(historic_import, progress=progress)
    except ImportStopped as exc:
        raise JobRefused(str(exc)) from None
    return {"historic_import": job.pk, "accepted": job.accepted, "rejected": job.rejected_count}
