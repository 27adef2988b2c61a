"""Police extract import end to end: N rows (default 50,000 × BENCH_SCALE;
BENCH_SCALE=20 is the 1M of the goal) generated for Faku County, written as
a CSV extract and imported with `police_import` into an empty register.

The baseline measured in the same run is a raw COPY of the same final rows:
every row the import wrote (households, persons, marriages, births, baseline
events, spells) is copied out and COPYed into empty copies of those tables
(same columns and indexes). Goals (issue 6): ≥ 100k rows/s end to end, and
≥ 30 % of the raw COPY rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_import.py

Runs in its own database pims_bench_import (created and dropped). Wall
times on a shared machine vary with its load; the CPU seconds of the import
process (with its stage-1 workers) and of the whole PostgreSQL server are
printed too — run it on an otherwise idle server, or the server figure
includes the other work. The import judges rows on forked workers and loads
on two connections (PIMS_IMPORT_WORKERS, PIMS_IMPORT_LOAD_CONNECTIONS); the
raw COPY is one stream per table on one connection, so the wall ratio gains
from the import's parallelism and the CPU ratio does not.
"""

import io
import os
import sys
import tempfile
import time
from pathlib import Path

from _support import bench, machine, migrate_and_load, proc_stat, run_in_database, scale

TABLES = [
    "registry_household",
    "registry_person",
    "registry_marriage",
    "registry_birth",
    "events_event",
    "events_spell",
]


def main() -> int:
    return run_in_database("pims_bench_import", run)


def run(vendor: str) -> int:
    from django.db import connection

    from pims.integration.parallel import pool_size
    from pims.integration.services import police_import
    from pims.synth.generator import Generator, Population
    from pims.synth.police_file import write_police_file
    from pims.synth.selectors import flow_codes, village_specs, villages_under

    n = int(50_000 * scale())
    print(f"machine: {machine()}; database {vendor}; {n} police rows")
    migrate_and_load()
    villages = villages_under(["210124"])
    generator = Generator(seed=7, other_codes=flow_codes(villages))
    pop = Population()
    for spec in village_specs(villages, persons=n):
        pop.extend(generator.village(spec))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "extract.csv"
        rows = write_police_file(pop, path)
        stages: dict[str, float] = {}  # stage → when it started

        def progress(job, stage, done, total):
            stages.setdefault(stage, time.perf_counter())

        workers = pool_size(path.stat().st_size)
        server0 = server_cpu(connection)
        cpu0, t0 = own_cpu(), time.perf_counter()
        job = police_import(actor=None, path=path, progress=progress)
        wall, cpu = time.perf_counter() - t0, own_cpu() - cpu0
        server = server_cpu(connection) - server0 if vendor == "postgresql" else 0.0
        stage_seconds = stages.get("load", t0 + wall) - t0
        check_seconds = t0 + wall - stages.get("check", t0 + wall)
        assert job.rows_loaded == rows, (job.rows_loaded, rows, job.rows_rejected)

    copy_seconds, copied, copy_server = raw_copy(connection) if vendor == "postgresql" else (0.0, 0, 0.0)
    rate = rows / wall
    bench("import_rows", rows, "rows", f"{job.households_created} households")
    bench(
        "import_seconds",
        wall,
        "s",
        f"stage 1 (read, input rules, encrypt) {stage_seconds:.1f}s, "
        f"stage 2 (set-based load) {wall - stage_seconds - check_seconds:.1f}s, "
        f"stage 3 (register rules, rejected file) {check_seconds:.1f}s",
    )
    bench("import_stage1_workers", workers, "processes", "0 = judged in the importing process (PIMS_IMPORT_WORKERS)")
    bench("import_cpu_seconds", cpu, "s", "CPU of the importing process and its stage-1 workers")
    bench("import_cpu_us_per_row", cpu / rows * 1e6, "us/row", "client side")
    if server:
        bench(
            "import_server_cpu_seconds", server, "s", "CPU of the PostgreSQL server (all processes) during the import"
        )
    bench("import_rate", rate, "rows/s", "goal >= 100000")
    bench("import_stage1_rate", rows / max(stage_seconds, 1e-9), "rows/s")
    if copied:
        copy_rate = rows / copy_seconds
        bench("raw_copy_seconds", copy_seconds, "s", f"{copied} final rows in {len(TABLES)} tables")
        bench("raw_copy_rate", copy_rate, "police rows/s")
        bench("import_ratio_to_raw_copy", rate / copy_rate, "x", "goal >= 0.30")
        bench("raw_copy_server_cpu_seconds", copy_server, "s", "CPU of the PostgreSQL server during the raw COPY")
        if server:
            bench(
                "import_cpu_ratio_to_raw_copy",
                copy_server / (server + cpu),
                "x",
                "raw COPY server CPU / (import server + client CPU): the ratio without the machine's load",
            )
    return 0


def own_cpu() -> float:
    """CPU seconds of this process and of its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def server_cpu(connection) -> float:
    """CPU seconds (user + system) of the whole PostgreSQL server so far:
    the postmaster with the finished processes it reaped (the import's
    per-chunk connections end before the run does) plus every live child
    (backends, WAL writer, checkpointer, autovacuum). Same host only
    (/proc); 0 otherwise."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        postmaster = int(proc_stat(backend)[1])
        total = sum(int(v) for v in proc_stat(postmaster)[11:15])  # utime, stime, cutime, cstime
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    fields = proc_stat(int(pid))
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    total += int(fields[11]) + int(fields[12])
    except OSError:
        return 0.0
    return total / os.sysconf("SC_CLK_TCK")


def raw_copy(connection) -> tuple[float, int, float]:
    """COPY every final row out, then time COPYing it into empty LIKE tables."""
    buffers = {}
    with connection.cursor() as cursor:
        pg = cursor.cursor
        for table in TABLES:
            buf = io.BytesIO()
            with pg.copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    buf.write(data)
            buffers[table] = buf.getvalue()
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        connection.commit() if not connection.get_autocommit() else None
        copied = 0
        server0 = server_cpu(connection)
        t0 = time.perf_counter()
        for table in TABLES:
            with pg.copy(f"COPY bench_{table} FROM STDIN") as copy:
                copy.write(buffers[table])
            copied += buffers[table].count(b"\n")
        seconds = time.perf_counter() - t0
        server = server_cpu(connection) - server0
        for table in TABLES:
            cursor.execute(f"DROP TABLE bench_{table}")
    return seconds, copied, server


if __name__ == "__main__":
    sys.exit(main())
