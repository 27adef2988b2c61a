"""Issue 6 journey on the import page: a township operator uploads a police
extract, watches the progress panel update by itself (htmx polling) while
the import reads and loads, sees it finish and downloads the rejected rows
(the rows of another township, rule P09).

The test stands in for the worker: the page queues the import and no
worker runs it (the page says so); the test advances the import itself
between the browser's polls, then runs the queue in its own process, which
finishes the job. The live
server shares the test's in-memory SQLite connection, so the polls are
held back (a Playwright route answers only while the test talks to the
browser) whenever the test writes, and no two threads use the connection at
once."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pims.accounts.roles import Role
from pims.integration import services
from pims.integration.models import ImportJob
from pims.integration.sources.police import run as police_run
from pims.jobs.models import Job
from pims.jobs.testing import run_ready_jobs
from pims.synth.generator import Generator, VillageSpec
from pims.synth.police_file import write_police_file
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

from .conftest import AS_OF

pytestmark = pytest.mark.browser


class Interrupted(Exception):
    pass


def test_operator_uploads_watches_progress_and_downloads_rejected_rows(browser_page, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    operator = make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"])
    villages = [tree[c] for c in ("210124101200", "210124101201", "210124102200")]
    generator = Generator(seed=3, as_of=AS_OF, other_codes=[v.code for v in villages])
    pop = generator.population([VillageSpec(v.code, v.name, 60) for v in villages])
    path = tmp_path / "户籍.csv"
    write_police_file(pop, path)
    outside = sum(1 for p in pop.persons if pop.households[p.household].village_code.startswith("210124102"))

    settings.PIMS_JOB_RUNNER = "queue"  # the worker runs below, when the test says so
    monkeypatch.setattr(police_run, "STAGE_CHUNK_ROWS", 30)
    monkeypatch.setattr(police_run, "LOAD_CHUNK_HOUSEHOLDS", 5)
    # One chunk at a time, so that the stand-in's stop leaves the load half done
    # (with two connections the second of its two chunks would still commit).
    monkeypatch.setenv("PIMS_IMPORT_LOAD_CONNECTIONS", "1")
    page = browser_page
    page.route(re.compile(r"/imports/\d+/progress/$"), lambda route: route.continue_())

    page.goto("/accounts/login/")
    page.fill("#id_username", "operator_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/m/registry/")
    page.get_by_role("link", name="公安户籍导入").click()
    page.set_input_files("#id_file", str(path))
    page.get_by_test_id("start-import").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    job = ImportJob.objects.get()
    assert Job.objects.get().args == {"import_job": job.pk}
    expect(page.get_by_test_id("worker-missing")).to_be_visible()  # no worker runs yet
    expect(page.get_by_test_id("import-state")).to_have_text("读取文件")
    assert page.get_by_test_id("rows-read").inner_text() == "0"

    # The run reads the file and loads part of it, then stops (a stand-in for a slow run).
    def stop_midway(job, stage, done, total):
        if stage == "load" and done >= 10:
            raise Interrupted

    with pytest.raises(Interrupted):
        services.police_import(actor=operator, path=job.file_path, progress=stop_midway)
    expect(page.get_by_test_id("import-state")).to_have_text("写入登记库")
    assert page.get_by_test_id("rows-read").inner_text() == str(len(pop.persons))
    written, total = (int(x) for x in page.get_by_test_id("rows-written").inner_text().split(" / "))
    assert 0 < written < total == len(pop.persons)
    assert page.get_by_test_id("import-progress").get_attribute("hx-trigger") == "every 2s"
    screenshot(page, "import-progress")

    run_ready_jobs()  # the worker picks the queued job up and finishes the import
    expect(page.get_by_test_id("import-state")).to_have_text("已完成")
    assert page.get_by_test_id("rows-rejected").inner_text() == str(outside)
    assert page.get_by_test_id("rows-loaded").inner_text() == str(len(pop.persons) - outside)
    assert page.get_by_test_id("import-progress").get_attribute("hx-trigger") is None  # polling stopped
    screenshot(page, "import-done")

    with page.expect_download() as info:
        page.get_by_test_id("rejected-download").click()
    body = open(info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-3:] == ["原行号", "错误规则", "错误说明"]
    assert len(rows) - 1 == outside and {r[-2] for r in rows[1:]} == {"P09"}
    assert "不在您的辖区内" in rows[1][-1]
