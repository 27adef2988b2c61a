"""The import page: upload, run outside the request (inline in tests),
progress, the scoped and audited rejected-rows download, resuming an
interrupted job — and the outsider, clerks and reviewers getting nothing."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pims.audit.models import AuditEntry
from pims.integration import launch, services
from pims.integration.models import ImportJob
from pims.integration.selectors import import_progress
from pims.integration.sources.police import run as police_run
from pims.jobs.models import Job
from pims.registry.models import Person
from pims.synth.police_file import write_police_file


@pytest.fixture
def extract(population, tmp_path):
    """A generated extract of villages A1, A2 (township A) and B1 (township B)."""
    _g, pop = population(per_village=25)
    path = tmp_path / "户籍.csv"
    write_police_file(pop, path)
    outside = [p for p in pop.persons if pop.households[p.household].village_code.startswith("210124102")]
    return path, pop, outside


def upload(client, path, **extra):
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv"), **extra}
    return client.post(reverse("integration:import_list"), data)


def rejected_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))[1:]


def test_operator_uploads_watches_and_downloads_the_rejected_rows(regions, codes, personas, client_for, extract):
    path, pop, outside = extract
    client = client_for("operator")
    resp = upload(client, path)
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("integration:import_detail", args=[job.pk])
    assert (job.state, job.region_code, job.username) == ("done", regions["township_a"].code, "operator_a")
    # Only township A was written; township B's rows were rejected with the scope rule.
    assert job.rows_rejected == len(outside) > 0
    assert job.rows_loaded == len(pop.persons) - len(outside) == Person.objects.count()
    assert not Person.objects.filter(household__region_code__startswith="210124102").exists()

    page = client.get(reverse("integration:import_progress", args=[job.pk])).content.decode()
    assert "已完成" in page and "hx-trigger" not in page  # polling stops once done
    assert f'data-testid="rows-rejected">{len(outside)}<' in page
    assert reverse("integration:import_rejected", args=[job.pk]) in page

    exports = AuditEntry.objects.filter(action="export").count()
    resp = client.get(reverse("integration:import_rejected", args=[job.pk]))
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    rows = rejected_rows(resp)
    ids = {p.citizen_id for p in outside if p.citizen_id}
    assert len(rows) == len(outside) and ids <= {r[0] for r in rows}  # full numbers, as the file had them
    assert Counter(r[-2] for r in rows) == {"P09": len(outside)}
    entry = AuditEntry.objects.filter(action="export").order_by("-seq").first()
    assert AuditEntry.objects.filter(action="export").count() == exports + 1
    assert (entry.actor_id, entry.object_id, entry.detail["full_ids"]) == (personas["operator"].pk, str(job.pk), True)
    # The upload (plaintext IDs) is gone once the register holds the data.
    assert not any(launch.upload_dir().rglob("*.csv"))
    assert not list(path.parent.glob("*.rejected-*"))  # nothing beside the source


def test_county_admin_sees_the_townships_job_and_outsider_sees_nothing(regions, codes, personas, client_for, extract):
    path, _pop, _outside = extract
    upload(client_for("operator"), path)
    job = ImportJob.objects.get()
    county = client_for("county")
    assert path.name in county.get(reverse("integration:import_list")).content.decode()
    assert county.get(reverse("integration:import_rejected", args=[job.pk])).status_code == 200

    outsider = client_for("outsider")
    listing = outsider.get(reverse("integration:import_list")).content.decode()
    assert path.name not in listing and "还没有导入任务" in listing
    for name in ("import_detail", "import_progress", "import_rejected"):
        assert outsider.get(reverse(f"integration:{name}", args=[job.pk])).status_code == 404
    assert outsider.post(reverse("integration:import_resume", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "auditor", "sysadmin"])
def test_roles_without_the_import_capability_get_404(regions, codes, personas, client_for, extract, persona):
    path, _pop, _outside = extract
    upload(client_for("operator"), path)
    job = ImportJob.objects.get()
    client = client_for(persona)
    assert client.get(reverse("integration:import_list")).status_code == 404
    assert upload(client, path).status_code == 404
    assert client.get(reverse("integration:import_rejected", args=[job.pk])).status_code == 404
    assert ImportJob.objects.count() == 1


def test_a_file_that_cannot_be_read_is_refused_on_the_page(regions, codes, client_for, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage" * 10)
    resp = upload(client_for("operator"), bad)
    assert resp.status_code == 200 and "编码" in resp.content.decode()
    assert ImportJob.objects.count() == 0
    assert not list(launch.upload_dir().rglob("*.csv"))  # the refused upload is not kept


def test_a_mapping_file_is_used_and_a_broken_one_refused(regions, codes, client_for, population, tmp_path):
    _g, pop = population(per_village=10)
    std = tmp_path / "std.csv"
    write_police_file(pop, std)
    lines = std.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    ours = lines[0].rstrip("\n").split(",")
    theirs = [f"COL{i}" for i in range(len(ours))]
    other = tmp_path / "other.csv"
    other.write_text(",".join(theirs) + "\n" + "".join(lines[1:]), encoding="utf-8")
    client = client_for("county")
    broken = SimpleUploadedFile("map.json", b"{not json", content_type="application/json")
    resp = upload(client, other, mapping=broken)
    assert "映射文件无法读取" in resp.content.decode() and ImportJob.objects.count() == 0
    import json

    good = json.dumps(dict(zip(theirs, ours, strict=True)), ensure_ascii=False).encode()
    upload(client, other, mapping=SimpleUploadedFile("map.json", good, content_type="application/json"))
    job = ImportJob.objects.get()
    assert (job.state, job.rows_loaded, job.rows_rejected) == ("done", len(pop.persons), 0)


def test_a_default_village_outside_the_region_is_not_offered(regions, codes, client_for, extract):
    path, _pop, _outside = extract
    resp = upload(client_for("operator"), path, village_default=regions["village_b1"].code)
    assert resp.status_code == 200 and "village_default" in resp.context["form"].errors
    assert ImportJob.objects.count() == 0


def test_the_same_file_uploaded_again_while_running_joins_the_running_job(
    regions, codes, client_for, extract, settings
):
    path, _pop, _outside = extract
    settings.PIMS_JOB_RUNNER = "queue"  # queued, and no worker runs it in this test
    client = client_for("operator")
    first = upload(client, path)
    second = upload(client, path)
    job = ImportJob.objects.get()
    assert first["Location"] == second["Location"] == reverse("integration:import_detail", args=[job.pk])
    assert [q.args for q in Job.objects.filter(kind="police_import")] == [{"import_job": job.pk}]  # one run, not two
    page = client.get(reverse("integration:import_detail", args=[job.pk])).content.decode()
    assert 'data-job-state="queued"' in page and "后台任务进程未在运行" in page and "继续导入" not in page
    assert len(list(launch.upload_dir().rglob("*.csv"))) == 1
    # Another township's operator is told to wait; the job is not theirs to see.
    assert "其他单位" in upload(client_for("outsider"), path).content.decode()


class Interrupted(Exception):
    pass


def test_an_interrupted_job_shows_its_progress_and_resumes(regions, codes, personas, client_for, extract, monkeypatch):
    path, pop, outside = extract
    monkeypatch.setattr(police_run, "STAGE_CHUNK_ROWS", 20)
    monkeypatch.setattr(police_run, "LOAD_CHUNK_HOUSEHOLDS", 3)

    def crash(job, stage, done, total):
        if stage == "load" and done > 3:
            raise Interrupted

    job = services.police_import_prepare(actor=personas["operator"], path=path, username="operator_a")
    with pytest.raises(Interrupted):
        services.police_import(actor=personas["operator"], path=path, progress=crash)
    job.refresh_from_db()
    assert job.state == "loading" and 0 < job.loaded_through < job.households_total

    client = client_for("operator")
    page = client.get(reverse("integration:import_detail", args=[job.pk])).content.decode()
    assert "写入登记库" in page and "hx-trigger" in page and "继续导入" not in page
    p = import_progress(job)
    assert p.running and 33 < p.percent < 100 and 0 < p.rows_written < p.rows_total == len(pop.persons)
    assert p.rows_per_second > 0 and p.eta_seconds is not None

    # Nothing moved for a while (the process died): the page offers to resume.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    page = client.get(reverse("integration:import_detail", args=[job.pk])).content.decode()
    assert "继续导入" in page
    resp = client.post(reverse("integration:import_resume", args=[job.pk]))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.rows_loaded == len(pop.persons) - len(outside)
    assert AuditEntry.objects.filter(action="load", detail__what="police_import_resume").count() == 1


def test_progress_figures_while_reading_and_loading():
    start = timezone.now() - dt.timedelta(seconds=10)
    now = start + dt.timedelta(seconds=10)
    job = ImportJob(
        state="loading",
        rows_total=1000,
        households_total=100,
        loaded_through=50,
        rows_loaded=400,
        rows_rejected=20,
        started_at=start,
        updated_at=now,
    )
    p = import_progress(job, now=now)
    assert p.percent == pytest.approx(66.7) and p.rows_written == 420 and p.rows_total == 1000
    assert p.rows_per_second == pytest.approx(66.67, rel=0.01) and p.eta_seconds == pytest.approx(5.0)
    reading = ImportJob(
        state="staging", file_size=1000, staged_offset=250, rows_total=300, started_at=start, updated_at=now
    )
    p = import_progress(reading, now=now)
    # A quarter of the file read in 10 s (a twelfth of the work): 1,200 rows expected, 10 rows/s end to end.
    assert p.rows_read == 300 and p.rows_total == 0
    assert p.rows_per_second == pytest.approx(10.0) and p.eta_seconds == pytest.approx(110.0)


def test_progress_names_the_checking_stage_once_every_household_is_written():
    now = timezone.now()
    job = ImportJob(
        state="loading", rows_total=1000, households_total=100, loaded_through=50, started_at=now, updated_at=now
    )
    assert import_progress(job, now=now).stage == "写入登记库"
    job.loaded_through = 100  # stage 3: the register rules over the whole import
    assert import_progress(job, now=now).stage == "逻辑审核"
    job.state = "done"
    assert import_progress(job, now=now).stage == "已完成"
