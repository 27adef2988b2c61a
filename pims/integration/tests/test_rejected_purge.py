"""Rejected-rows files (plaintext IDs) are deleted after the retention period."""

import datetime as dt

import pytest
from django.core.management import call_command

from pims.audit.models import Action, AuditEntry
from pims.integration.models import ImportJob
from pims.lib import clock

pytestmark = pytest.mark.django_db


def _job(tmp_path, name: str, finished_days_ago: int | None) -> ImportJob:
    path = tmp_path / f"{name}.csv"
    path.write_text("210124199001011234,张三,校验位错误\n")
    finished = clock.now() - dt.timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return ImportJob.objects.create(file_name=name, rejected_file=str(path), rows_rejected=1, finished_at=finished)


def test_files_older_than_the_retention_are_removed_and_the_job_kept(tmp_path, settings, capsys):
    settings.REJECTED_ROWS_RETENTION_DAYS = 30
    old, recent, running = _job(tmp_path, "old", 31), _job(tmp_path, "recent", 29), _job(tmp_path, "running", None)

    call_command("purge_rejected_rows")

    assert "1 rejected-rows files older than 30 days removed" in capsys.readouterr().out
    old.refresh_from_db()
    assert old.rejected_file == "" and old.rows_rejected == 1
    assert not (tmp_path / "old.csv").exists()
    assert (tmp_path / "recent.csv").exists() and (tmp_path / "running.csv").exists()
    entry = AuditEntry.objects.filter(action=Action.DELETE).latest("seq")
    assert entry.detail["jobs"] == [old.pk] and entry.detail["retention_days"] == 30
    assert recent and running


def test_the_retention_is_configurable(tmp_path, settings):
    settings.REJECTED_ROWS_RETENTION_DAYS = 7
    _job(tmp_path, "eight-days", 8)
    call_command("purge_rejected_rows")
    assert not (tmp_path / "eight-days.csv").exists()


def test_uploaded_source_files_follow_the_same_retention(settings, tmp_path):
    from pims.integration.launch import upload_dir

    settings.MEDIA_ROOT = tmp_path
    settings.REJECTED_ROWS_RETENTION_DAYS = 30
    outside = tmp_path / "operator-extract.csv"  # named on the command line: the operator's
    outside.write_text("id\n")

    def uploaded(name: str, days_ago: int | None) -> ImportJob:
        folder = upload_dir() / name
        folder.mkdir(parents=True)
        path = folder / "extract.csv"
        path.write_text("210124199001011234,张三\n")
        finished = clock.now() - dt.timedelta(days=days_ago) if days_ago is not None else None
        return ImportJob.objects.create(file_name="extract.csv", file_path=str(path), finished_at=finished)

    old, recent, running = uploaded("old", 31), uploaded("recent", 29), uploaded("running", None)
    cli = ImportJob.objects.create(
        file_name=outside.name, file_path=str(outside), finished_at=clock.now() - dt.timedelta(days=90)
    )

    call_command("purge_rejected_rows")

    old.refresh_from_db()
    assert old.file_path == "" and old.file_name == "extract.csv"
    assert not (upload_dir() / "old").exists()
    assert (upload_dir() / "recent" / "extract.csv").exists() and (upload_dir() / "running" / "extract.csv").exists()
    assert outside.exists() and ImportJob.objects.get(pk=cli.pk).file_path == str(outside)
    entry = AuditEntry.objects.filter(action=Action.DELETE, object_type="integration.upload").latest("seq")
    assert entry.detail["jobs"] == [old.pk]
    assert recent and running
