"""Historic documents on the task queue: the upload is queued, judged and
loaded in chunks that survive a stopped worker (the successor continues,
nothing twice); the rejected-rows file is neutralised against formulas,
downloaded only by roles that may see full numbers (audited), removed
after the retention period; the outsider gets 404 everywhere."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.documents import historic_jobs
from pims.documents.models import HistoricDocument, HistoricImport
from pims.jobs.models import Job
from pims.jobs.testing import run_ready_jobs

from .test_historic import person_with_id, rows_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def holders(regions, codes):
    return [person_with_id(regions["village_a1"], i) for i in range(1, 11)]


def file_of(holders, n=1200):
    rows = [
        [
            "生育服务证",
            f"Q{i:05d}",
            holders[i % len(holders)][1],
            "大孤家子镇",
            "2010-05-01",
            "",
            "",
            "1",
            "政策内",
            "",
            "",
        ]
        for i in range(n)
    ]
    n0 = holders[0][1]
    if n < 1000:
        rows[n - 1] = ["生育服务证", "Q90001", n0, '=cmd|" /C calc"!A0', "2010-01-01", "", "", "", "", "", ""]
        return rows_csv(rows)
    rows[700] = ["生育服务证", "Q00002", n0, "镇", "2010-01-01", "", "", "", "", "", ""]  # a duplicate, another chunk
    rows[701] = ["生育服务证", "Q90001", n0, '=cmd|" /C calc"!A0', "2010-01-01", "", "", "", "", "", ""]
    return rows_csv(rows)


def upload(user, data, name="historic.csv"):
    return historic_jobs.historic_import_start(actor=user, upload=SimpleUploadedFile(name, data))


def test_an_upload_runs_on_the_queue_with_progress_and_its_rejected_rows(holders, personas, settings):
    settings.PIMS_JOB_RUNNER = "queue"
    job = upload(personas["operator"], file_of(holders))
    assert job.state == HistoricImport.State.QUEUED and job.rows_total == 1200
    queued = Job.objects.get(kind="historic_import")
    assert queued.region_code == personas["operator"].region.code
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.accepted, job.rejected_count) == ("done", 1200, 1198, 2)
    queued.refresh_from_db()
    assert queued.state == "done" and queued.progress_done == queued.progress_total == 1200
    reasons = {line: r for line, _cells, r in job.rejected}
    assert "文件中已出现" in reasons[702][0] and "公式" in reasons[703][0]
    assert HistoricDocument.objects.count() == 1198
    assert job.file_path == ""  # the upload is gone once the documents are in


def test_a_stopped_worker_is_continued_from_the_last_chunk_nothing_twice(holders, personas, settings, monkeypatch):
    settings.PIMS_JOB_RUNNER = "queue"
    monkeypatch.setattr(historic_jobs, "CHUNK", 300)
    job = upload(personas["operator"], file_of(holders))

    def stop_after_the_second_chunk(done, total):
        if done == 600:
            raise KeyboardInterrupt  # the worker dies between two chunks' commits

    with pytest.raises(KeyboardInterrupt):
        historic_jobs.historic_import_run(job.pk, progress=stop_after_the_second_chunk)
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.accepted) == ("running", 600, 600)
    done = historic_jobs.historic_import_run(job.pk)
    assert (done.state, done.rows_done, done.accepted, done.rejected_count) == ("done", 1200, 1198, 2)
    assert HistoricDocument.objects.count() == 1198
    reasons = {line: r for line, _cells, r in done.rejected}
    assert "文件中已出现" in reasons[702][0]  # the first Q00002 came in an earlier run


def test_the_rejected_rows_file_is_neutralised_scoped_audited_and_purged(holders, personas, client_for):
    job = upload(personas["county"], file_of(holders, n=50))
    job.refresh_from_db()
    url = reverse("documents:historic_import_rejected", args=[job.pk])
    assert client_for("outsider").get(url).status_code == 404
    assert client_for("outsider").get(reverse("documents:historic_import_detail", args=[job.pk])).status_code == 404
    assert client_for("clerk").get(url).status_code == 404
    page = client_for("county").get(reverse("documents:historic_import_detail", args=[job.pk])).content.decode()
    assert "导入 49 条，拒绝 1 条" in page and 'data-testid="rejected-download"' in page
    resp = client_for("county").get(url)
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    assert resp.status_code == 200 and "'=cmd" in body and "拒绝原因" in body
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__what="historic_import_rejected").exists()
    assert historic_jobs.historic_imports_purge(now=job.finished_at, username="cron", retention_days=30) == 0
    later = job.finished_at + dt.timedelta(days=31)
    assert historic_jobs.historic_imports_purge(now=later, username="cron", retention_days=30) == 1
    job.refresh_from_db()
    assert job.rejected_file == "" and job.rejected == [] and job.rejected_count == 1
    assert client_for("county").get(url).status_code == 404


def test_a_bad_file_is_refused_on_the_page_and_nothing_is_kept(personas, client_for, regions, codes):
    resp = client_for("operator").post(
        reverse("documents:historic_import"), {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")}
    )
    assert resp.status_code == 422 and "表头缺少" in resp.content.decode()
    assert not HistoricImport.objects.exists()
    resp = client_for("operator").post(
        reverse("documents:historic_import"), {"file": SimpleUploadedFile("x.txt", b"x")}
    )
    assert resp.status_code == 422
