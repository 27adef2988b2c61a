"""The import page's default runner: a detached `manage.py import_police --job`
that outlives the process that started it (here a `manage.py shell` standing
in for a web worker, which exits at once). A file database, as the kill test
uses: the test's own in-memory database is invisible to other processes."""

import os
import sqlite3
import time

from pims.synth.police_file import write_police_file

from .test_kill import SqliteDb, manage

START = """
from django.core.files.uploadedfile import SimpleUploadedFile
from pims.accounts.models import User
from pims.integration.launch import import_start
from pims.regions.models import Region
user = User.objects.create_user(username="op", password="x-Long-pass-1", role="township_operator",
                                region=Region.objects.get(code="210124101000"))
data = open({path!r}, "rb").read()
job = import_start(actor=user, upload=SimpleUploadedFile("extract.csv", data))
print("JOB", job.pk, job.state)
"""


def job_row(db_file, pk):
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as con:
        return con.execute(
            "SELECT state, rows_total, rows_loaded, rows_rejected, rejected_file, message FROM integration_importjob "
            "WHERE id = ?",
            [pk],
        ).fetchone()


def test_a_page_started_import_runs_detached_and_finishes(regions, population, tmp_path):
    _g, pop = population(per_village=40)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    outside = sum(1 for p in pop.persons if pop.households[p.household].village_code.startswith("210124102"))
    db = SqliteDb(tmp_path, "launch")
    media = tmp_path / "media"
    env = os.environ | {"PIMS_ENV": "test", "DATABASE_URL": db.url, "MEDIA_ROOT": str(media),
                        "PIMS_IMPORT_RUNNER": "process"}  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage(env, "migrate", "-v0")
    manage(env, "load_regions", "-v0")
    manage(env, "load_codes", "-v0")

    started = manage(env, "shell", "-c", START.format(path=str(path)))
    # The starter has exited; the import goes on without it.
    line = next(x for x in started.stdout.splitlines() if x.startswith("JOB"))
    pk = int(line.split()[1])
    deadline = time.monotonic() + 300
    while (row := job_row(db.file, pk))[0] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
    state, total, loaded, rejected, rejected_file, message = row
    log = media / "imports" / "logs" / f"job-{pk}.log"
    assert state == "done", (row, log.read_text() if log.exists() else "no log")
    assert (total, loaded, rejected) == (len(pop.persons), len(pop.persons) - outside, outside)
    assert rejected_file.startswith(str(media)) and os.path.isfile(rejected_file)
    assert f"job {pk}:" in log.read_text()
    assert not list((media / "imports" / "uploads").rglob("*.csv"))  # the upload is deleted when done
