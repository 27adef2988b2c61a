"""Stage 1 judged by forked workers stages exactly what one process stages."""

import pytest

from pims.integration import parallel, services
from pims.integration.format import text_only_columns
from pims.integration.parallel import judged_chunks, pool_size
from pims.integration.pipeline import job as pipeline_job
from pims.integration.reader import SourceError, detect, file_sha256, iter_rows
from pims.integration.sources.police import judge as police_judge
from pims.integration.sources.police import run as police_run
from pims.regions.models import Level, Region
from pims.synth.police_file import write_police_file

# Columns of a staged row that differ between the two runs by design: each
# run has its own job, and the ciphertexts carry a random nonce.
CIPHERS = tuple(police_judge.STAGE_COLUMNS.index(c) for c in ("job_id", "id_cipher", "phone_cipher"))


def judge_for(path):
    fmt, encoding = detect(path)
    job = police_run.job_create(None, path, file_sha256(path), fmt, encoding, {}, "", "")
    columns = police_run.checked_header(path, fmt, encoding, {})
    villages = {
        code: police_judge.Village(pk, code, name)
        for pk, code, name in Region.objects.filter(level=Level.VILLAGE).values_list("pk", "code", "name")
    }
    return job, police_judge.RowJudge(job, columns, villages, None)


def staged(path, workers, size=7):
    job, judge = judge_for(path)
    rows = iter_rows(path, job.file_format, job.encoding, text_only=text_only_columns(judge.columns))
    next(rows)
    out = []
    for sources, rows_staged, warnings in judged_chunks(rows, judge, size=size, workers=workers):
        assert len(sources) == len(rows_staged) <= size
        plain = [tuple("" if i in CIPHERS else v for i, v in enumerate(row)) for row in rows_staged]
        out.append(([s.line for s in sources], plain[:], dict(warnings)))
    return out


def test_forked_judges_give_the_same_rows_warnings_and_order(regions, codes, population, tmp_path):
    _g, pop = population(per_village=40)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    # A rejected row (bad ID check digit) and a warned one (phone: I21).
    header = lines[0].lstrip("\ufeff").rstrip("\n").split(",")
    bad = lines[3].split(",")
    bad[header.index("公民身份号码")] = bad[header.index("公民身份号码")][:-1] + "Y"
    warned = lines[5].split(",")
    warned[header.index("联系电话")] = "12"
    path.write_text("".join(lines + [",".join(bad), ",".join(warned)]), encoding="utf-8")

    one = staged(path, workers=0)
    forked = staged(path, workers=2)
    assert forked == one
    states = [row[2] for _lines, rows, _w in one for row in rows]
    assert pipeline_job.REJECTED in states and pipeline_job.OK in states
    assert sum(w.get("I21", 0) for _l, _r, w in one) == 1


@pytest.mark.parametrize("workers", [0, 2])
def test_rows_read_before_a_broken_sheet_are_all_judged_first(regions, codes, population, tmp_path, workers):
    _g, pop = population(per_village=10)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    job, judge = judge_for(path)
    rows = list(iter_rows(path, job.file_format, job.encoding, text_only=text_only_columns(judge.columns)))[1:]

    def breaking():
        yield from rows[:23]
        raise SourceError("工作表在第 25 行中断")

    seen = []
    with pytest.raises(SourceError):
        for sources, _staged, _w in judged_chunks(breaking(), judge, size=5, workers=workers):
            seen += [s.line for s in sources]
    assert seen == [r.line for r in rows[:23]]


def test_the_pool_is_for_large_files_in_a_process_without_threads(monkeypatch):
    monkeypatch.setenv("PIMS_IMPORT_WORKERS", "2")
    monkeypatch.setenv("PIMS_IMPORT_PARALLEL_BYTES", "1000")
    threads = [1]
    monkeypatch.setattr(parallel.threading, "active_count", lambda: threads[0])
    assert pool_size(999) == 0
    assert pool_size(1000) == 2
    threads[0] = 2  # e.g. the web server's thread runner: forking there is unsafe
    assert pool_size(10**9) == 0
    threads[0] = 1
    monkeypatch.setenv("PIMS_IMPORT_WORKERS", "1")
    assert pool_size(10**9) == 0


def test_a_second_process_may_not_load_the_same_job(regions, codes, population, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite's database lock serialises the chunks")
    _g, pop = population(per_village=5)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    job, _judge = judge_for(path)
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.autocommit = True
        other.execute("SELECT pg_advisory_lock(%s, %s)", [pipeline_job.ADVISORY_LOCK_CLASS, job.pk])
        with pytest.raises(RuntimeError, match="另一个进程"), pipeline_job.sole_runner(job):
            pass
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [pipeline_job.ADVISORY_LOCK_CLASS, job.pk])
        with pipeline_job.sole_runner(job):
            pass  # free again
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_two_connections_stop_after_the_chunks_in_flight_and_the_rerun_completes(
    regions, codes, population, tmp_path, monkeypatch
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite loads one chunk at a time")
    from pims.integration.models import ImportJob

    from .test_import import Interrupted, assert_matches_ground_truth

    monkeypatch.setattr(police_run, "LOAD_CHUNK_HOUSEHOLDS", 2)  # 10 households per chunk on PostgreSQL
    monkeypatch.setenv("PIMS_IMPORT_LOAD_CONNECTIONS", "2")
    _g, pop = population(per_village=60)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    first_done = []

    def stop_after_first_chunk(job, stage, done, total):
        if stage == "load":
            first_done.append(done)
            if len(first_done) > 1:
                raise Interrupted

    with pytest.raises(Interrupted):
        services.police_import(actor=None, path=path, progress=stop_after_first_chunk)
    job = ImportJob.objects.get()
    # The first chunk and at most the one running beside it committed; nothing else started.
    assert job.state == ImportJob.State.LOADING
    assert 10 <= job.loaded_through <= 20 < job.households_total
    done = services.police_import(actor=None, path=path)
    assert done.state == ImportJob.State.DONE and done.rows_loaded == len(pop.persons)
    assert done.loaded_through == done.households_total
    assert_matches_ground_truth(pop)
