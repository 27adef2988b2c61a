"""The shared parts of every import job: its row states, the refusal, the
one-loader-per-job lock, progress callbacks and where files are kept."""

from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from pims.accounts.roles import Cap, has_capability
from pims.integration.models import ImportJob
from pims.lib.errors import Invalid

OK, REJECTED, LOADED, PRESENT = "ok", "rejected", "loaded", "present"
ADVISORY_LOCK_CLASS = 0x504D  # pg_advisory_lock(class, job id): one loader per job

Progress = Callable[[ImportJob, str, float, float], None]


class ImportRefused(Invalid):
    """The import cannot start (file, mapping or permission); nothing was imported."""


def may_import(user) -> bool:
    return has_capability(user, Cap.IMPORT_DATA)


@contextmanager
def sole_runner(job: ImportJob):
    """One process at a time loads a job (PostgreSQL: a session advisory
    lock, released when the process ends, however it ends). On SQLite the
    database lock serialises the chunks, and a chunk finds no rows left to
    load when another run did it first."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, job.pk])
        if not cursor.fetchone()[0]:
            raise RuntimeError("另一个进程正在执行同一导入任务")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_CLASS, job.pk])


def merged(a: dict, b: Counter) -> dict:
    out = dict(a or {})
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


def import_dir() -> Path:
    """Where uploaded files and rejected-rows files of web imports are kept."""
    return Path(settings.MEDIA_ROOT) / "imports"


def rejected_store() -> Path:
    """Protected storage of rejected-rows files: under MEDIA_ROOT, which is
    never served directly; fetched through pims.integration.rejected."""
    return import_dir() / "rejected"
