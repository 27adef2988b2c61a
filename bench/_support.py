"""Shared set-up for the import/generator benchmarks: a database of their own
on the server named by DATABASE_URL (created and dropped here; the database
in DATABASE_URL is only used to issue CREATE/DROP DATABASE), or a temporary
SQLite file without a PostgreSQL URL."""

import base64
import os
import platform
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def prepare_database(name: str) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        admin = psycopg.connect(url, autocommit=True)
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
    return "sqlite", lambda: [Path(file + s).unlink(missing_ok=True) for s in ("", "-wal", "-shm")]


def setup_django():
    os.environ["PIMS_ENV"] = "test"
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


def machine() -> str:
    cpus = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = 0
    return (
        f"{platform.processor() or platform.machine()}, {cpus} cores, {mem:.0f} GiB, Python {platform.python_version()}"
    )


def bench(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"bench: {name} {value:.6g} {unit}" + (f"  ({note})" if note else ""), flush=True)
