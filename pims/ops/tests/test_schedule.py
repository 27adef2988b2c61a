"""Scheduled jobs: the systemd timers in deploy/ match the job table; each run is recorded and shown."""

import configparser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from pims.ops.models import ScheduledRun
from pims.ops.schedule import JOBS
from pims.testing.fixtures import login

SYSTEMD = Path(settings.BASE_DIR) / "deploy" / "systemd"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the units' key case
    parser.read(path)
    return parser


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.name)
def test_each_job_has_a_systemd_timer_on_its_schedule(job):
    timer = _unit(SYSTEMD / f"pims-{job.name}.timer")
    assert timer["Timer"]["OnCalendar"] == job.on_calendar
    assert timer["Timer"]["Unit"] == f"pims-job@{job.name}.service"


def test_the_job_service_runs_run_job():
    service = _unit(SYSTEMD / "pims-job@.service")
    assert "manage.py run_job %i" in service["Service"]["ExecStart"]


def test_every_timer_in_deploy_is_a_known_job():
    names = {p.name.removeprefix("pims-").removesuffix(".timer") for p in SYSTEMD.glob("pims-*.timer")}
    assert names == {job.name for job in JOBS}


@pytest.mark.django_db
def test_a_run_is_recorded_and_shown_to_the_system_administrator(client, personas):
    call_command("run_job", "clearsessions")
    run = ScheduledRun.objects.get(job="clearsessions")
    assert run.ok and run.finished_at

    login(client, personas["sysadmin"])
    page = client.get("/ops/schedule/").content.decode()
    assert "清理过期会话" in page and "成功" in page and "每 15 分钟" in page


@pytest.mark.django_db
def test_a_failed_run_is_recorded_as_failed(monkeypatch):
    from pims.ops import schedule as jobs

    monkeypatch.setitem(jobs.JOB_BY_NAME, "backup", jobs.JOB_BY_NAME["backup"])
    monkeypatch.setattr(settings, "BACKUP_RECIPIENTS", [])
    with pytest.raises(CommandError, match="job backup failed"):
        call_command("run_job", "backup")
    assert ScheduledRun.objects.get(job="backup").ok is False


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["operator", "county", "auditor", "outsider"])
def test_the_jobs_page_is_hidden_from_everyone_else(client, personas, persona):
    login(client, personas[persona])
    assert client.get("/ops/schedule/").status_code == 404
