"""The rejected-rows file of an import: who may fetch it, and the audit row.

The file repeats the rejected rows exactly as the source had them, so it
holds plaintext ID numbers. It is written to protected storage
(`services.rejected_store()`, under MEDIA_ROOT, which no URL serves) and
leaves it only through these two functions, each of which writes an export
entry to the audit log: the web download (scoped to the job's jurisdiction,
`pims.integration.views`) and the command line's `--rejected PATH`.
"""

import shutil
from pathlib import Path

from django.db import transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib.errors import NotFound

from .models import ImportJob


class RejectedUnavailable(NotFound):
    """The job has no rejected-rows file (none rejected, or it was removed)."""


def rejected_path(job: ImportJob) -> Path:
    if not job.rejected_file or not Path(job.rejected_file).is_file():
        raise RejectedUnavailable(f"任务 {job.pk} 没有退回文件")
    return Path(job.rejected_file)


def may_fetch_rejected(user) -> bool:
    """Full ID numbers: only roles that may import and may see full numbers."""
    return has_capability(user, Cap.IMPORT_DATA) and has_capability(user, Cap.UNMASK_PERSONAL)


def _audit(actor, job: ImportJob, *, username: str, ip: str | None, to: str) -> None:
    audit_record(
        actor=actor,
        username=username,
        action=Action.EXPORT,
        obj=job,
        region_code=job.region_code,
        ip=ip,
        detail={"what": "police_import_rejected", "rows": job.rows_rejected, "to": to, "full_ids": True},
    )


def rejected_rows_open(*, actor, job: ImportJob, ip: str | None = None):
    """The file opened for a download by `actor` (who must already have been
    given the job by `selectors.access_import_job`); audited."""
    path = rejected_path(job)
    with transaction.atomic():
        _audit(actor, job, username="", ip=ip, to="download")
    return path.open("rb")


def rejected_rows_export(*, job: ImportJob, dest: str | Path, username: str) -> Path:
    """Copy the file to a place the operator named on the command line; audited."""
    source = rejected_path(job)
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / source.name
    with transaction.atomic():
        shutil.copyfile(source, dest)
        dest.chmod(0o600)
        _audit(None, job, username=username, ip=None, to=f"file:{dest.name}")
    return dest


def rejected_rows_purge(*, now, username: str, retention_days: int) -> int:
    """Delete the rejected-rows files of imports finished more than
    `retention_days` ago (settings.REJECTED_ROWS_RETENTION_DAYS, default 30):
    they hold plaintext ID numbers and are needed only to correct and re-send
    the rows. The job keeps its counts and reasons; one audit entry lists the
    jobs. Returns the number of files removed."""
    from datetime import timedelta

    cutoff = now - timedelta(days=retention_days)
    jobs = list(ImportJob.objects.exclude(rejected_file="").filter(finished_at__lt=cutoff).only("pk", "rejected_file"))
    if not jobs:
        return 0
    with transaction.atomic():
        for job in jobs:
            Path(job.rejected_file).unlink(missing_ok=True)
        ImportJob.objects.filter(pk__in=[j.pk for j in jobs]).update(rejected_file="")
        audit_record(
            actor=None,
            username=username,
            action=Action.DELETE,
            obj=("integration.rejected_rows", ""),
            detail={"jobs": [j.pk for j in jobs], "retention_days": retention_days, "cutoff": cutoff.isoformat()},
        )
    return len(jobs)


def uploads_purge(*, now, username: str, retention_days: int) -> int:
    """Delete the source files uploaded on the import page (a police extract
    holds every ID in plaintext) of imports finished more than
    `retention_days` ago — the same retention as the rejected-rows files.
    A file the operator named on the command line lies outside protected
    storage and is theirs to keep. The job keeps its name, hash and counts
    (a re-upload of the same content is still recognised); one audit entry
    lists the jobs. Returns the number of files removed."""
    from datetime import timedelta

    from .launch import upload_dir

    cutoff = now - timedelta(days=retention_days)
    root = upload_dir().resolve()
    finished = ImportJob.objects.exclude(file_path="").filter(finished_at__lt=cutoff).only("pk", "file_path")
    jobs = [job for job in finished if Path(job.file_path).resolve().is_relative_to(root)]
    if not jobs:
        return 0
    with transaction.atomic():
        for job in jobs:
            _remove_upload(Path(job.file_path), root)
        ImportJob.objects.filter(pk__in=[j.pk for j in jobs]).update(file_path="")
        audit_record(
            actor=None,
            username=username,
            action=Action.DELETE,
            obj=("integration.upload", ""),
            detail={"jobs": [j.pk for j in jobs], "retention_days": retention_days, "cutoff": cutoff.isoformat()},
        )
    return len(jobs)


def _remove_upload(path: Path, root: Path) -> None:
    """The file and its own upload folder (one per upload), never the root."""
    path.unlink(missing_ok=True)
    folder = path.parent
    if folder.resolve() != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
