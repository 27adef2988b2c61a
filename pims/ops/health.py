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
    """The queue worker's heartbeat. The task queue (pims.queue) is not landed
    yet; until it is, the worker is reported as not configured, which does
    not fail the health check. Switch this one function over when it lands."""
    return {"status": "not configured"}


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


def health() -> tuple[int, dict]:
    checks = {
        "database": check_database(),
        "queue_worker": queue_worker_status(),
        "disk_media": check_disk(settings.MEDIA_ROOT),
        "disk_backups": check_disk(settings.BACKUP_DIR),
    }
    if maintenance_on():
        status = "maintenance"
    else:
        status = "ok" if all(c["status"] in CRITICAL_OK for c in checks.values()) else "fail"
    return (200 if status == "ok" else 503), {"status": status, "release": pims.__version__, "checks": checks}


@never_cache
@require_GET
def healthz(request):
    code, body = health()
    return JsonResponse(body, status=code)
