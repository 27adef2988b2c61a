"""The person page under load: a locust run of 50 township operators
(BENCH_USERS) opening person pages of their township for BENCH_SECONDS
(default 60, after BENCH_WARMUP = 60 s of signing in, not counted) against gunicorn, on the search benchmark's database
(bench/bench_search.py: 50,000 × BENCH_SCALE persons; BENCH_REUSE=1 serves a
kept one, e.g. the 10M database). Goal (issue 7): p95 < 200 ms.

Prints the person page's p50/p95/p99, the request rate and failures, and the
p95 of a static file fetched through the same server in the same run (the
baseline: what the server and the load generator cost without the page).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REUSE=1 .venv/bin/python bench/bench_person_page.py
"""

import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_search as search  # noqa: E402
from _support import bench, machine, run_in_database, scale  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))  # measured, after the warm-up
WARMUP = int(os.environ.get("BENCH_WARMUP", "60"))  # sign-ins; not measured
PORT = int(os.environ.get("BENCH_PORT", "8765"))
ROOT = HERE.parent


def township_person_pks(user, limit: int = 5000) -> list[int]:
    from pims.registry.selectors import person_list_visible_to

    return list(person_list_visible_to(user=user).order_by("?").values_list("pk", flat=True)[:limit])


def server_env(tmp: Path) -> dict:
    return os.environ | {
        "PIMS_ENV": "development",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-person-page"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def wait_ready(url: str, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own http server)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server at {url} did not start")


def read_stats(prefix: Path) -> dict[str, dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}


def run(vendor: str, tmp: Path) -> int:
    from django.core.management import call_command

    if importlib.util.find_spec("locust") is None:
        print(
            "bench_person_page: locust is not installed; `make bench` installs requirements/bench.txt", file=sys.stderr
        )
        return 2

    from pims.registry.models import Person

    if not (os.environ.get("BENCH_REUSE") and Person.objects.exists()):
        search.build(vendor, int(50_000 * scale()))
    persons = Person.objects.count()
    users = search.bench_users()
    pks_file = tmp / "pks.txt"
    pks_file.write_text("\n".join(map(str, township_person_pks(users["township"]))))
    env = server_env(tmp)
    call_command("collectstatic", interactive=False, verbosity=0)  # into STATIC_ROOT (git-ignored)
    workers = 2 * (os.cpu_count() or 1) + 1
    print(
        f"machine: {machine()}; database {vendor}; {persons} persons; {USERS} users for {SECONDS} s; "
        f"gunicorn {workers} workers"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", str(workers), "-b", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
    )
    try:
        host = f"http://127.0.0.1:{PORT}"
        wait_ready(f"{host}/accounts/login/")
        prefix = tmp / "locust"
        locust_env = os.environ | {
            "BENCH_PERSON_PKS": str(pks_file),
            "BENCH_USERNAME": search.USERNAMES["township"],
            "BENCH_PASSWORD": search.PASSWORD,
            "BENCH_WARMUP": str(WARMUP),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "locust_person_page.py"),
                "--headless",
                "-u",
                str(USERS),
                "-r",
                "10",
                "-t",
                f"{WARMUP + SECONDS}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=locust_env,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    stats = read_stats(prefix)
    page, static = stats["person page"], stats["static file"]
    p95, base95 = float(page["95%"]), float(static["95%"])
    bench("person_page_p50", float(page["50%"]), "ms")
    bench("person_page_p95", p95, "ms", "goal < 200 ms")
    bench("person_page_p99", float(page["99%"]), "ms")
    bench("person_page_rate", float(page["Requests/s"]), "req/s", f"{page['Request Count']} requests")
    bench("person_page_failures", int(page["Failure Count"]), "requests")
    bench("static_file_p95", base95, "ms", "baseline: same server, same run")
    bench("person_page_p95_ratio_to_static", p95 / max(base95, 1.0), "x")
    return 1 if int(page["Failure Count"]) or not int(page["Request Count"]) else 0


def main() -> int:
    for key, value in search.BENCH_KEYS.items():
        os.environ.setdefault(key, value)

    def body(vendor: str) -> int:
        with tempfile.TemporaryDirectory(prefix="pims_bench_page_") as tmp:
            return run(vendor, Path(tmp))

    return run_in_database(search.BENCH_DB, body, reuse=bool(os.environ.get("BENCH_REUSE")))


if __name__ == "__main__":
    sys.exit(main())
