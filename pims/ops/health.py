"""GET /healthz — for a load balancer, a monitoring system or `curl`.

No sign-in, no personal data: each dependency says ok or what is wrong, the
whole answers 200 when everything needed to serve is ok and 503 otherwise
(also during maintenance). Each check is small and bounded in time.
"""

import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import pims
from pims.jobs.selectors import worker_health

from .middleware import maintenance_on

MB = 1024 * 1024


def check_database() -> dict:
    started = time.monotonic()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "cannot serve"
        return {"status": "fail", "error": exc.__class__.__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}


def queue_worker_status() -> dict:
    """The queue workers' heartbeat (pims.jobs). With the inline runner
    (development, tests) no worker is needed. A stopped worker does not make
    the web node unfit to serve, so it answers "fail" for monitoring while
    the overall status says "degraded" (200): a load balancer keeps the node,
    an alert fires on the check."""
    if settings.PIMS_JOB_RUNNER != "queue":
        return {"status": "not configured"}
    try:
        beat = worker_health()
    except Exception as exc:  # the database check reports the cause
        return {"status": "fail", "error": exc.__class__.__name__}
    return {
        "status": "ok" if beat.alive else "fail",
        "workers": beat.workers,
        "last_seen": beat.last_seen.isoformat() if beat.last_seen else None,
    }


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(path: Path) -> dict:
    usage = shutil.disk_usage(_existing(Path(path)))
    free_mb = usage.free // MB
    status = "ok" if free_mb >= settings.HEALTH_MIN_FREE_MB else "fail"
    return {
        "status": status,
        "free_mb": free_mb,
        "total_mb": usage.total // MB,
        "min_free_mb": settings.HEALTH_MIN_FREE_MB,
    }


CRITICAL_OK = {"ok", "not configured"}
# Checks whose failure degrades the service but leaves the node able to serve.
NON_CRITICAL = {"queue_worker"}


def health() -> tuple[int, dict]:
    checks = {
        "database": check_database(),
        "queue_worker": queue_worker_status(),
        "disk_media": check_disk(settings.MEDIA_ROOT),
        "disk_backups": check_disk(settings.BACKUP_DIR),
    }
    status = "maintenance" if maintenance_on() else _overall(checks)
    code = 200 if status in {"ok", "degraded"} else 503
    return code, {"status": status, "release": pims.__version__, "checks": checks}


def _overall(checks: dict) -> str:
    failing = {name for name, check in checks.items() if check["status"] not in CRITICAL_OK}
    if not failing:
        return "ok"
    return "degraded" if failing <= NON_CRITICAL else "fail"


@never_cache
@require_GET
def healthz(request):
    code, body = health()
    return JsonResponse(body, status=code)
