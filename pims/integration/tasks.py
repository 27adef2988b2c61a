"""The import pages' imports as jobs of the task queue (kinds `police_import`,
`civil_import` and `health_import`, pims/jobs/kinds.py): run or resume the import job as the user who started it."""

from pims.jobs.errors import JobRefused

from .launch import job_run
from .services import ImportRefused

STAGES = {"stage": "读取文件", "load": "写入登记库", "check": "逻辑审核"}


def police_import_job(ctx, *, import_job: int) -> dict:
    def progress(job, stage, done, total):
        ctx.progress(done, total, STAGES.get(stage, stage))

    try:
        job = job_run(import_job, progress=progress)
    except ImportRefused as exc:
        raise JobRefused(str(exc)) from None
    if job.state == job.State.FAILED:
        raise JobRefused(job.message or "导入失败")
    return {
        "import_job": job.pk,
        "state": job.state,
        "rows_loaded": job.rows_loaded,
        "rows_rejected": job.rows_rejected,
    }


# The civil-affairs import runs the same way (launch.job_run picks the source by the job's kind).
civil_import_job = health_import_job = police_changes_import_job = police_import_job


def register_duplicates_job(ctx) -> dict:
    """The register of the starter's jurisdiction scanned for likely duplicates
    (pims.integration.pipeline.duplicates); run again, it adds only new pairs."""
    from pims.integration.pipeline.duplicates import duplicates_find

    return {"new_pairs": duplicates_find(actor=ctx.job.actor, progress=ctx.progress)}
