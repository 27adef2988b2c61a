"""/healthz, maintenance mode and the release string."""

import pytest
from django.core.management import call_command

import pims

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_dependency_without_signing_in(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["release"] == pims.__version__
    assert set(body["checks"]) == {"database", "queue_worker", "disk_media", "disk_backups"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue_worker"]["status"] in {"ok", "fail", "not configured"}
    assert body["checks"]["disk_media"]["free_mb"] > 0
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_fails_when_a_disk_is_nearly_full(client, settings):
    settings.HEALTH_MIN_FREE_MB = 10**12
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["disk_backups"]["status"] == "fail"


def test_healthz_fails_when_the_database_is_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper
    from django.db.utils import OperationalError

    def broken(self, sql, params=None):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "fail", "error": "OperationalError"}


def test_maintenance_mode_shows_a_chinese_page_and_healthz_says_so(client, settings, tmp_path, personas):
    settings.MAINTENANCE_FILE = tmp_path / "maintenance.on"
    call_command("maintenance", "on")

    page = client.get("/accounts/login/")
    assert page.status_code == 503 and "系统维护中" in page.content.decode()
    assert page["Retry-After"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "maintenance"

    call_command("maintenance", "off")
    assert client.get("/accounts/login/").status_code == 200


def test_version_is_in_the_footer_and_the_command(client, personas, capsys):
    from pims.testing.fixtures import login

    login(client, personas["operator"])
    assert f"人口信息管理系统 {pims.__version__}" in client.get("/").content.decode()
    call_command("release")
    out = capsys.readouterr().out
    assert out.startswith(f"pims {pims.__version__}\n") and "migrations up to date" in out


def test_manage_py_version_prints_the_release_not_djangos():
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:"}
    result = subprocess.run(
        [sys.executable, "manage.py", "version"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"pims {pims.__version__}"


def test_the_release_in_pyproject_is_the_package_release():
    import tomllib
    from pathlib import Path

    from django.conf import settings

    project = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())["project"]
    assert project["version"] == pims.__version__
    changelog = (Path(settings.BASE_DIR) / "CHANGELOG.md").read_text()
    assert f"## {pims.__version__}" in changelog


def test_healthz_reports_a_running_worker_and_degrades_without_one(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from pims.jobs.models import WorkerBeat

    settings.PIMS_JOB_RUNNER = "queue"
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["queue_worker"] == {"status": "fail", "workers": 0, "last_seen": None}

    WorkerBeat.objects.create(
        worker_id="host:1", hostname="host", pid=1, started_at=timezone.now(), last_seen=timezone.now()
    )
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["queue_worker"]["status"] == "ok" and body["checks"]["queue_worker"]["workers"] == 1

    WorkerBeat.objects.update(last_seen=timezone.now() - timedelta(hours=1))
    assert client.get("/healthz").json()["checks"]["queue_worker"]["status"] == "fail"


def test_the_worker_refuses_to_start_when_the_keys_do_not_fit_the_data(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from pims.ops import keys

    def mismatch(using="default"):
        raise keys.KeyMismatch("字段密钥无法解密已有数据")

    monkeypatch.setattr("pims.ops.startup.check_keys_against_data", mismatch)
    with pytest.raises(ImproperlyConfigured):
        call_command("run_worker", "--batch")
