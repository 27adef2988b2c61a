"""Shared set-up for the import/generator benchmarks: a database of their own
on the server named by DATABASE_URL (created and dropped here; the database
in DATABASE_URL is only used to issue CREATE/DROP DATABASE), or a temporary
SQLite file without a PostgreSQL URL."""

import base64
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def prepare_database(name: str, *, reuse: bool = False) -> tuple[str, Callable[[], None]]:
    """Point DATABASE_URL at a fresh database `name` (kept afterwards with
    BENCH_KEEP=1); with `reuse`, an existing one is left as it is."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        admin = psycopg.connect(url, autocommit=True)
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            if not os.environ.get("BENCH_KEEP"):
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.close()

        return "postgresql", cleanup
    fd, file = tempfile.mkstemp(prefix=f"{name}_", suffix=".sqlite3")
    os.close(fd)
    os.environ["DATABASE_URL"] = f"sqlite:///{file}"

    def remove_files() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(file + suffix).unlink(missing_ok=True)

    return "sqlite", remove_files


def run_in_database(name: str, body, *, reuse: bool = False) -> int:
    """A benchmark's main: its own database `name` (see prepare_database),
    Django set up, `body(vendor)` run, the database dropped afterwards."""
    vendor, cleanup = prepare_database(name, reuse=reuse)
    setup_django()
    try:
        return body(vendor)
    finally:
        cleanup()


def setup_django():
    os.environ.setdefault("PIMS_ENV", "test")
    os.environ.setdefault("SECRET_KEY", "bench-" + base64.b64encode(os.urandom(24)).decode())
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("BLIND_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def migrate_and_load(regions: bool = True) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if regions:
        call_command("load_regions", verbosity=0)
    call_command("load_codes", verbosity=0)


def load_rows(model, columns, rows) -> int:
    """Rows (tuples of `columns`) into `model`'s table through the product's
    bulk writer (COPY / executemany; every other column gets its default,
    the travelling records' `uuid` one per row). On PostgreSQL without the
    per-row foreign-key triggers: the benchmarks' rows are consistent by
    construction and the benchmark database is theirs alone."""
    from django.db import connection

    from pims.integration.bulk import TableWriter

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    return TableWriter(model, columns).write(rows)


def machine() -> str:
    cpus = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = 0
    return (
        f"{platform.processor() or platform.machine()}, {cpus} cores, {mem:.0f} GiB, Python {platform.python_version()}"
    )


def proc_stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, …]; utime and
    stime are [11] and [12], the reaped children's [13] and [14]. Linux only;
    raises OSError for a process that is gone."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process so far."""
    fields = proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"bench: {name} {value:.6g} {unit}" + (f"  ({note})" if note else ""), flush=True)


def liaoning_counties(n: int, exclude: tuple[str, ...] = ("210124",)) -> list:
    """Liaoning counties whose code is valid for every birth year (so that
    generated citizen IDs parse), Faku excluded by default (it has real
    villages)."""
    from pims.lib.citizen_id import region_known
    from pims.regions.models import Level, Region

    found = []
    for region in Region.objects.filter(level=Level.COUNTY, code__startswith="21").order_by("code"):
        code6 = region.code[:6]
        if code6 not in exclude and region_known(code6 + "0" * 12, 1900) and region_known(code6 + "0" * 12, 2026):
            found.append(region)
    if len(found) < n:
        raise SystemExit(f"only {len(found)} usable counties for {n}")
    return found[:n]


def synthetic_villages(county, villages: int = 250, per_town: int = 25) -> list:
    """Townships of `per_town` synthetic villages under a real county."""
    import datetime as dt
    import math

    from pims.regions.models import Level, Region

    valid = dt.date(2023, 6, 30)
    out = []
    for t in range(math.ceil(villages / per_town)):
        town = Region.objects.create(
            code=f"{county.code[:6]}{101 + t:03d}000",
            name=f"{county.name}镇{t + 1}",
            level=Level.TOWNSHIP,
            parent=county,
            valid_from=valid,
        )
        out += Region.objects.bulk_create(
            Region(
                code=f"{county.code[:6]}{101 + t:03d}{200 + v:03d}",
                name=f"{town.name}村{v + 1}",
                level=Level.VILLAGE,
                parent=town,
                valid_from=valid,
            )
            for v in range(min(per_town, villages - t * per_town))
        )
    return out
