"""Historic documents imported on the task queue (issue 16.2 with the
police import's machinery): the page stores the upload in protected
storage, checks the header at once (a bad file is refused on the page),
records a `HistoricImport` and queues a job of kind `historic_import`
(pims/jobs/kinds.py), whose function (pims.documents.tasks) judges and
loads the rows in chunks — each chunk commits its documents, its rejected
rows and the count of rows done together, so a stopped or killed worker's
successor continues where the last chunk ended, nothing twice.

The rejected-rows file repeats the rows as the file had them (plaintext ID
numbers; cells a spreadsheet would run as formulas are neutralised): it
lives in protected storage, leaves it only through an audited download for
roles that may see full numbers, and is deleted with the upload after
REJECTED_ROWS_RETENTION_DAYS (`historic_imports_purge`, run by
`manage.py purge_rejected_rows`).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock, spreadsheet
from pims.lib.errors import Invalid, NotPermitted, Refused
from pims.regions.scope import scope_q

from . import historic
from .models import HistoricDocument, HistoricImport

CHUNK = 500
MAX_UPLOAD = 20 * 1024 * 1024
KIND = "historic_import"
BAD_FILE = _("请选择 CSV 或 XLSX 文件（不超过 20 MB）")
NOT_IMPORTER = _("您的角色不能导入历史证件")


def may_import_historic(user) -> bool:
    return has_capability(user, Cap.IMPORT_DATA) and has_capability(user, Cap.VIEW_DOCUMENTS)


def may_fetch_rejected(user) -> bool:
    """The rejected rows hold full ID numbers: importers who may see them."""
    return may_import_historic(user) and has_capability(user, Cap.UNMASK_PERSONAL)


def store() -> Path:
    """Protected storage (under MEDIA_ROOT, which no URL serves)."""
    from pims.integration.pipeline.job import import_dir

    return import_dir() / "historic"


def _save(upload) -> Path:
    name = Path(upload.name or "upload.csv").name.replace("\x00", "")[-120:] or "upload.csv"
    folder = store() / "uploads" / uuid.uuid4().hex
    folder.mkdir(mode=0o700, parents=True)
    path = folder / name
    path.touch(mode=0o600)
    with path.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return path


def _remove(path_text: str) -> None:
    if not path_text:
        return
    path = Path(path_text)
    path.unlink(missing_ok=True)
    folder = path.parent
    if folder.parent == store() / "uploads" and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def historic_import_start(*, actor, upload) -> HistoricImport:
    """Store the upload, check its header and queue the import; Invalid
    (nothing kept) for a file that is not a readable CSV/XLSX with the
    required columns."""
    from pims.jobs.services import job_enqueue

    if not may_import_historic(actor) or getattr(actor, "region", None) is None:
        raise NotPermitted(NOT_IMPORTER)
    if upload is None or not upload.name.lower().endswith((".csv", ".xlsx")) or upload.size > MAX_UPLOAD:
        raise Invalid(BAD_FILE)
    path = _save(upload)
    try:
        header, rows = historic.read_rows(path, upload.name)
        historic.judge_prepare(actor=actor, header=header, source=upload.name, imported_at=clock.now())
    except (spreadsheet.SheetError, UnicodeDecodeError, ValueError) as exc:
        _remove(str(path))
        raise Invalid(str(exc) if isinstance(exc, spreadsheet.SheetError) else BAD_FILE) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with transaction.atomic():
        job = HistoricImport.objects.create(
            file_name=upload.name[-200:],
            file_path=str(path),
            file_sha256=digest,
            region_code=actor.region.code,
            actor=actor,
            header=header,
            rows_total=len(rows),
            started_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=job,
            region_code=job.region_code,
            detail={"what": "historic_import_start", "file": job.file_name, "rows": len(rows)},
        )
    job_enqueue(kind=KIND, actor=actor, region_code=job.region_code, args={"historic_import": job.pk}, subject=job)
    job.refresh_from_db()
    return job


class ImportStopped(Refused):
    """The import cannot go on (its file is gone, its user may no longer import)."""


def historic_import_run(pk: int, *, progress=None) -> HistoricImport:
    """Run or resume the import from its last committed chunk."""
    job = HistoricImport.objects.select_related("actor", "actor__region").get(pk=pk)
    if job.state in (HistoricImport.State.DONE, HistoricImport.State.FAILED):
        return job
    if not may_import_historic(job.actor):
        return _fail(job, str(NOT_IMPORTER))
    if not job.file_path or not Path(job.file_path).is_file():
        return _fail(job, "导入文件已不存在，请重新上传")
    header, rows = historic.read_rows(Path(job.file_path), job.file_name)
    judge = historic.judge_prepare(actor=job.actor, header=header, source=job.file_name, imported_at=job.started_at)
    HistoricImport.objects.filter(pk=pk).update(state=HistoricImport.State.RUNNING, rows_total=len(rows))
    job.rows_total = len(rows)
    for start in range(job.rows_done, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        with transaction.atomic():
            good, rejected = historic.judge_chunk(judge, chunk)
            HistoricDocument.objects.bulk_create(good, batch_size=CHUNK)
            job.rejected = [*job.rejected, *([r.line, r.cells, r.reasons] for r in rejected)]
            job.rows_done, job.accepted = start + len(chunk), job.accepted + len(good)
            job.rejected_count += len(rejected)
            job.save(update_fields=["rejected", "rows_done", "accepted", "rejected_count"])
        if progress is not None:
            progress(job.rows_done, job.rows_total)
    return _finish(job, header)


def _fail(job: HistoricImport, message: str) -> HistoricImport:
    with transaction.atomic():
        job.state, job.message, job.finished_at = HistoricImport.State.FAILED, message, clock.now()
        job.save(update_fields=["state", "message", "finished_at"])
    _remove(job.file_path)
    raise ImportStopped(message)


def _finish(job: HistoricImport, header: list[str]) -> HistoricImport:
    with transaction.atomic():
        if job.rejected:
            job.rejected_file = str(_write_rejected(job, header))
        job.state, job.finished_at = HistoricImport.State.DONE, clock.now()
        job.save(update_fields=["rejected_file", "state", "finished_at"])
        detail = {"kind": "historic_documents", "accepted": job.accepted, "rejected": job.rejected_count}
        audit_record(actor=job.actor, action=Action.LOAD, obj=job, region_code=job.region_code, detail=detail)
    _remove(job.file_path)  # the documents are in the register; the rejected rows in their own file
    HistoricImport.objects.filter(pk=job.pk).update(file_path="")
    return job


def _write_rejected(job: HistoricImport, header: list[str]) -> Path:
    result = historic.ImportResult(
        rejected=[historic.Rejected(line, cells, reasons) for line, cells, reasons in job.rejected]
    )
    folder = store() / "rejected"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"historic-{job.pk}.csv"
    path.touch(mode=0o600)
    path.write_bytes(historic.rejected_csv(header, result))
    return path


# --- reading ---------------------------------------------------------------------------------


def historic_import_list_visible_to(*, user):
    if not may_import_historic(user):
        return HistoricImport.objects.none()
    return HistoricImport.objects.filter(scope_q(user, "region_code"))


def access_historic_import(user, pk) -> HistoricImport:
    from django.http import Http404

    try:
        return historic_import_list_visible_to(user=user).select_related("actor").get(pk=pk)
    except (HistoricImport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def rejected_open(*, actor, job: HistoricImport, ip: str | None = None) -> io.BufferedReader:
    """The rejected-rows file for a download by `actor` (already given the
    job by `access_historic_import`); audited as an export with full numbers."""
    from pims.lib.errors import NotFound

    if not job.rejected_file or not Path(job.rejected_file).is_file():
        raise NotFound(_("该导入没有退回文件"))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=job,
            region_code=job.region_code,
            ip=ip,
            detail={"what": "historic_import_rejected", "rows": job.rejected_count, "full_ids": True},
        )
    return Path(job.rejected_file).open("rb")


def historic_imports_purge(*, now, username: str, retention_days: int) -> int:
    """Delete the rejected-rows files, the rejected rows kept on the record
    and any upload left of imports finished more than `retention_days` ago;
    the record keeps its counts. One audit entry lists them."""
    import datetime as dt

    cutoff = now - dt.timedelta(days=retention_days)
    old = HistoricImport.objects.filter(finished_at__lt=cutoff).exclude(rejected_file="", file_path="", rejected=[])
    jobs = list(old.only("pk", "rejected_file", "file_path"))
    if not jobs:
        return 0
    with transaction.atomic():
        for job in jobs:
            if job.rejected_file:
                Path(job.rejected_file).unlink(missing_ok=True)
            _remove(job.file_path)
        HistoricImport.objects.filter(pk__in=[j.pk for j in jobs]).update(rejected_file="", file_path="", rejected=[])
        audit_record(
            actor=None,
            username=username,
            action=Action.DELETE,
            obj=("documents.historic_import", ""),
            detail={"jobs": [j.pk for j in jobs], "retention_days": retention_days, "cutoff": cutoff.isoformat()},
        )
    return len(jobs)
