"""Starting an import from the import page, and running it outside the request.

The project has no task queue. A police extract takes minutes to hours, far
longer than a request may last (gunicorn's timeout, the proxy's), so the
page only stores the upload, creates the job (`police_import_prepare`: file
and header checked at once, so a bad file is refused on the page) and starts
the run; the page then polls the job's row for progress.

Runners (`settings.PIMS_IMPORT_RUNNER`):

* ``process`` (default): `manage.py import_police --job PK`, started through
  ``/bin/sh -c '… &'`` in a new session, so the import is an orphan adopted by
  init: it survives the request's end, a request timeout, a gunicorn worker
  being recycled or killed, and leaves no zombie. Output goes to
  ``MEDIA_ROOT/imports/logs/job-PK.log``.
* ``thread``: a thread of the web worker — dies with the worker (development
  server only).
* ``inline``: inside the request (tests).

Whatever ends a run early (a server restart, kill -9), the job resumes from
its last commit when started again: the page offers 继续导入 for a job whose
row has not moved for `STALE_AFTER`.
"""

import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record

from .models import ImportJob
from .services import ImportRefused, import_dir, police_import, police_import_prepare

log = logging.getLogger(__name__)
MAPPING_MAX_BYTES = 64 * 1024
STALE_AFTER = 120  # seconds without progress before a running job counts as interrupted


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


def import_start(*, actor, upload, mapping_upload=None, village_default: str = "") -> ImportJob:
    """Store the upload, create (or find the unfinished) job and start it.
    Raises ImportRefused with a message for the page; nothing is kept then."""
    mapping = parse_mapping(mapping_upload)
    path = _save_upload(upload)
    try:
        job = police_import_prepare(
            actor=actor, path=path, mapping=mapping, village_default=village_default, username=actor.get_username()
        )
    except ImportRefused:
        _remove_upload(path)
        raise
    if Path(job.file_path) != path.resolve():
        # The same content is already being imported: keep that job, and
        # start it again only if its run has stopped (never two runs at once).
        _remove_upload(path)
        if not job_is_stale(job):
            return job
    import_launch(job)
    return job


def import_resume(*, actor, job: ImportJob) -> ImportJob:
    """Start an interrupted job again (it continues from its last commit)."""
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


def job_is_stale(job: ImportJob) -> bool:
    running = job.state in (ImportJob.State.STAGING, ImportJob.State.LOADING)
    return running and (timezone.now() - job.updated_at).total_seconds() > STALE_AFTER


def import_launch(job: ImportJob) -> None:
    RUNNERS[settings.PIMS_IMPORT_RUNNER](job.pk)


def _run_process(pk: int) -> None:
    logs = import_dir() / "logs"
    logs.mkdir(mode=0o700, parents=True, exist_ok=True)
    manage = Path(settings.BASE_DIR) / "manage.py"
    with open(logs / f"job-{pk}.log", "ab") as log:
        # sh starts the import in the background and exits at once; waiting
        # for sh reaps it, and the import, orphaned, is adopted by init.
        shell = subprocess.Popen(  # noqa: S603 — fixed argv, no user input
            ["/bin/sh", "-c", '"$0" "$@" &', sys.executable, str(manage), "import_police", "--job", str(pk)],
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=os.environ.copy(),
        )
        shell.wait(timeout=30)


def _run_thread(pk: int) -> None:
    def main():
        close_old_connections()
        try:
            job_run(pk)
        except Exception:  # recorded on the job by job_run
            log.exception("import job %s stopped", pk)
        finally:
            connection.close()

    threading.Thread(target=main, name=f"import-{pk}", daemon=True).start()


def _run_inline(pk: int) -> None:
    try:
        job_run(pk)
    except Exception:  # recorded on the job by job_run
        log.exception("import job %s stopped", pk)


RUNNERS = {"process": _run_process, "thread": _run_thread, "inline": _run_inline}


def job_run(pk: int, *, progress=None, baseline_date=None) -> ImportJob:
    """Run or resume a job of the import page as the user who started it.

    A refusal (the file is gone, the user may no longer import) fails the
    job; any other error is recorded on it and it stays resumable. When the
    job is done its uploaded file is deleted (the register holds the data;
    the rejected rows are in protected storage)."""
    job = ImportJob.objects.select_related("actor", "actor__region").get(pk=pk)
    if job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job
    try:
        done = police_import(
            actor=job.actor,
            path=job.file_path,
            username=job.username,
            baseline_date=baseline_date,
            progress=progress,
        )
    except ImportRefused as exc:
        ImportJob.objects.filter(pk=pk).update(state=ImportJob.State.FAILED, message=str(exc)[:2000])
        raise
    except Exception as exc:
        ImportJob.objects.filter(pk=pk).update(message=f"导入中断：{type(exc).__name__}: {exc}"[:2000])
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
