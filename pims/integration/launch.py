"""Starting an import from the import page, and running it outside the request.

A police extract takes minutes to hours, far longer than a request may last
(gunicorn's timeout, the proxy's), so the page only stores the upload,
creates the job (`police_import_prepare`: file and header checked at once,
so a bad file is refused on the page) and queues its run on the task queue
(pims.jobs, kind `police_import`); the page then polls the job's row for
progress. The worker (`manage.py run_worker`, started by `make run` beside
the web server) runs it: the run survives the request, a restart of the web
process, and — resuming from its last commit — a stop or a kill of the
worker itself, whose successor continues it (retries: pims/jobs/kinds.py).

`settings.PIMS_JOB_RUNNER` = ``inline`` runs it inside the request (tests).

An import that nothing continues any more — its queue job failed for good,
or it was started before the queue or from the command line and its row
has not moved for `STALE_AFTER` — is offered 继续导入 on the page.
"""

import shutil
import uuid
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.jobs.models import Job
from pims.jobs.selectors import job_latest_for
from pims.jobs.services import job_enqueue

from .models import ImportJob
from .services import (
    ImportRefused,
    civil_import,
    civil_import_prepare,
    health_import,
    health_import_prepare,
    import_dir,
    police_changes_import,
    police_changes_import_prepare,
    police_import,
    police_import_prepare,
)

MAPPING_MAX_BYTES = 64 * 1024
STALE_AFTER = 120  # seconds without progress before a job run outside the queue counts as interrupted
INTERRUPTED = "导入中断："  # the start of the message an error leaves on the job (cleared when it runs again)


def upload_dir() -> Path:
    return import_dir() / "uploads"


def _save_upload(upload) -> Path:
    """The uploaded file in protected storage (owner-only), under a fresh directory."""
    name = Path(upload.name or "upload.csv").name.replace("\x00", "")[-120:] or "upload.csv"
    folder = upload_dir() / uuid.uuid4().hex
    folder.mkdir(mode=0o700, parents=True)
    path = folder / name
    path.touch(mode=0o600)
    with path.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return path


def parse_mapping(upload) -> dict | None:
    """A mapping file (JSON object header → canonical header) or None."""
    if upload is None:
        return None
    import json

    raw = upload.read(MAPPING_MAX_BYTES + 1)
    if len(raw) > MAPPING_MAX_BYTES:
        raise ImportRefused("映射文件过大（应为不超过 64 KB 的 JSON 对象）")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImportRefused(f"映射文件无法读取（应为 UTF-8 编码的 JSON 对象）：{exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ImportRefused('映射文件应为 JSON 对象：{"文件中的列名": "标准列名", …}')
    return data


def import_start(
    *, actor, upload, mapping_upload=None, village_default: str = "", prepare=None, family_mode: str = ""
) -> ImportJob:
    """Store the upload, create (or find the unfinished) job and queue its run
    (`prepare`: a departmental source's, else the police extract's).
    Raises ImportRefused with a message for the page; nothing is kept then."""
    mapping = parse_mapping(mapping_upload)
    path = _save_upload(upload)
    try:
        if prepare is not None:
            job = prepare(actor=actor, path=path, mapping=mapping)
        else:
            job = police_import_prepare(
                actor=actor,
                path=path,
                mapping=mapping,
                village_default=village_default,
                username=actor.get_username(),
                family_mode=family_mode or ImportJob.FamilyMode.MEMBERS,
            )
    except ImportRefused:
        _remove_upload(path)
        raise
    if Path(job.file_path) != path.resolve():
        # The same content is already being imported: keep that job, and
        # queue it again only if nothing continues it (never two runs at once).
        _remove_upload(path)
        if not job_is_stale(job):
            return job
    import_launch(job)
    return job


def import_resume(*, actor, job: ImportJob) -> ImportJob:
    """Queue an interrupted job again (it continues from its last commit)."""
    if job.state not in (ImportJob.State.STAGING, ImportJob.State.LOADING):
        raise ImportRefused("该导入任务已结束，无需继续")
    if not job_is_stale(job):
        raise ImportRefused("该导入任务仍在进行中")
    if not Path(job.file_path).is_file():
        raise ImportRefused("导入文件已不存在，请重新上传")
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), message="")
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=job,
            region_code=job.region_code,
            detail={"what": "police_import_resume"},
        )
    import_launch(job)
    return job


def queue_job(job: ImportJob) -> Job | None:
    """The task-queue job of the import's latest run (None: never queued)."""
    return job_latest_for(job)


def job_is_stale(job: ImportJob) -> bool:
    """Unfinished, and nothing will continue it: its queue job has ended
    (failed for good), or — never queued (the command line, or a job from
    before the queue) — its row has not moved for STALE_AFTER. A queued or
    running queue job is not stale even while no worker runs: the next
    worker continues it."""
    if job.state not in (ImportJob.State.STAGING, ImportJob.State.LOADING):
        return False
    queued = queue_job(job)
    if queued is not None:
        return queued.finished
    return (timezone.now() - job.updated_at).total_seconds() > STALE_AFTER


QUEUE_KINDS = {
    "police": "police_import",
    "civil": "civil_import",
    "health": "health_import",
    "police_changes": "police_changes_import",
}
RUN = {"civil": civil_import, "health": health_import, "police_changes": police_changes_import}


def import_launch(job: ImportJob) -> Job:
    """Queue a run of the job, as the user who started it."""
    return job_enqueue(
        kind=QUEUE_KINDS[job.kind],
        actor=job.actor,
        region_code=job.region_code,
        args={"import_job": job.pk},
        subject=job,
    )


PREPARE = {
    "civil": civil_import_prepare,
    "health": health_import_prepare,
    "police_changes": police_changes_import_prepare,
}


def department_import_start(*, actor, kind: str, upload, mapping_upload=None) -> ImportJob:
    """Store a departmental file (civil affairs, health), create (or find the
    unfinished) job and queue its run."""
    return import_start(actor=actor, upload=upload, mapping_upload=mapping_upload, prepare=PREPARE[kind])


def job_run(pk: int, *, progress=None, baseline_date=None) -> ImportJob:
    """Run or resume a job of the import page as the user who started it.

    A refusal (the file is gone, the user may no longer import) fails the
    job; any other error is recorded on it and it stays resumable. When the
    job is done its uploaded file is deleted (the register holds the data;
    the rejected rows are in protected storage)."""
    job = ImportJob.objects.select_related("actor", "actor__region").get(pk=pk)
    if job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job
    if job.message.startswith(INTERRUPTED):
        ImportJob.objects.filter(pk=pk).update(message="")
    try:
        if job.kind in RUN:
            done = RUN[job.kind](actor=job.actor, path=job.file_path, mapping=job.mapping, progress=progress)
        else:
            done = police_import(
                actor=job.actor,
                path=job.file_path,
                username=job.username,
                baseline_date=baseline_date,
                progress=progress,
            )
    except ImportRefused as exc:
        ImportJob.objects.filter(pk=pk).update(state=ImportJob.State.FAILED, message=str(exc)[:2000])
        _remove_upload(Path(job.file_path))  # failed for good: nothing will read it again
        raise
    except Exception as exc:
        ImportJob.objects.filter(pk=pk).update(message=f"{INTERRUPTED}{type(exc).__name__}: {exc}"[:2000])
        raise
    if done.pk != job.pk:
        ImportJob.objects.filter(pk=pk).update(
            state=ImportJob.State.FAILED, message=f"同一文件已由导入任务 {done.pk} 处理"
        )
        return ImportJob.objects.get(pk=pk)
    _remove_upload(Path(done.file_path))
    return done


def _remove_upload(path: Path) -> None:
    """Delete an uploaded file (and its own directory) — never a file outside
    the upload area (a command-line job's source)."""
    try:
        path = path.resolve()
        folder = path.parent
        if folder.parent != upload_dir().resolve():
            return
        shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass


def duplicates_scan_start(*, actor) -> Job:
    """Queue a scan of the actor's jurisdiction for likely duplicates (one at
    a time per region: a scan still waiting or running is returned)."""
    from pims.lib.errors import NotPermitted

    from .services import may_find_duplicates

    if not may_find_duplicates(actor):
        raise NotPermitted("您的角色不能查找重复人员")
    latest = duplicates_scan_latest(actor=actor)
    if latest is not None and not latest.finished:
        return latest
    return job_enqueue(kind="register_duplicates", actor=actor, region_code=actor.region.code)


def duplicates_scan_latest(*, actor) -> Job | None:
    return Job.objects.filter(kind="register_duplicates", region_code=actor.region.code).order_by("-id").first()
