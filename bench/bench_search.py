"""Person search (信息查询) latency.

Builds N persons (default 50,000 × BENCH_SCALE) in family households with
citizen ID blind indexes and name pinyin, then times, through the real
selector (`person_search`, i.e. the scoped queryset plus the page's count
and first page of 50 rows):

- ID lookup (normalise + blind index + scoped query), goal p99 < 10 ms;
- name exact, name prefix, full pinyin prefix and pinyin initials, goal
  p95 < 100 ms;
- the baseline: a primary-key lookup of a person, in the same run.

Each search runs as a township operator and as the county administrator.
Then the indexes proposed for the registry (docs/search.md) are created and
the searches timed again, so the effect of each proposal is measured, not
guessed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_SCALE=1 .venv/bin/python bench/bench_search.py

On PostgreSQL the script creates and drops its own database
`pims_bench_search` (the database in DATABASE_URL only issues CREATE/DROP);
otherwise it uses a temporary SQLite file. The data generator is shared with
bench/bench_checks.py.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_checks as base  # noqa: E402

BENCH_DB = "pims_bench_search"
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
PAGE = 50

# Indexes proposed to the registry's owner (see docs/search.md).
PROPOSED_INDEXES = {
    "postgresql": [
        "CREATE INDEX bench_person_name_like ON registry_person (name varchar_pattern_ops)",
    ],
    "sqlite": ["CREATE INDEX bench_person_name ON registry_person (name)"],
}


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def prepare_database():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        admin = psycopg.connect(url, autocommit=True)
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            if not os.environ.get("BENCH_KEEP"):
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            admin.close()

        return "postgresql", cleanup
    fd, name = tempfile.mkstemp(prefix="pims_bench_search_", suffix=".sqlite3")
    os.close(fd)
    os.environ["DATABASE_URL"] = f"sqlite:///{name}"
    return "sqlite", lambda: Path(name).unlink(missing_ok=True)


def enrich(data) -> dict:
    """Fill what the search needs and the checks benchmark leaves blank: the
    name's pinyin, a citizen ID (blind index + masked form) per person."""
    from pims.lib.citizen_id import make_citizen_id, mask_citizen_id
    from pims.lib.names import name_pinyin
    from pims.registry.services import citizen_id_index

    cols = base.PERSON_COLS
    i_name, i_py, i_ini = cols.index("name"), cols.index("name_pinyin"), cols.index("name_initials")
    i_sex, i_birth, i_masked = cols.index("sex"), cols.index("birth_date"), cols.index("id_masked")
    i_reason, i_idsex, i_code = cols.index("no_id_reason"), cols.index("id_sex"), cols.index("registered_code")
    numbers = {}
    rows = []
    for row in data["person"]:
        row = list(row)
        row[i_py], row[i_ini] = name_pinyin(row[i_name])
        seq = row[0]
        number = make_citizen_id(row[i_code][:6], row[i_birth], seq, row[i_sex])
        while number in numbers:  # same birth date and sequence: try the next odd/even sequence
            seq += 2
            number = make_citizen_id(row[i_code][:6], row[i_birth], seq, row[i_sex])
        numbers[number] = row[0]
        row[i_masked], row[i_reason], row[i_idsex] = mask_citizen_id(number), "", row[i_sex]
        rows.append((*row, citizen_id_index(number)))
    data["person"] = rows
    data["numbers"] = numbers
    return data


def timed(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values, p) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(name, values, p):
    print(f"bench: {name} {pct(values, p):.2f} ms (p{p}; p50 {statistics.median(values):.2f} ms, n={len(values)})")


def bench(vendor: str) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from pims.accounts.roles import Role
    from pims.lib.citizen_id import parse
    from pims.regions.models import Level, Region
    from pims.registry.models import Birth, Contraception, Household, Marriage, Person
    from pims.registry.services import citizen_id_index
    from pims.search.selectors import person_search

    target = int(50_000 * scale())
    call_command("migrate", verbosity=0)
    villages = base.build_regions(max(10, min(250, target // 1600)))
    base.load_code_tables()
    t0 = time.perf_counter()
    data = enrich(base.Generator(villages, target).run())
    base.PERSON_COLS = [*base.PERSON_COLS, "id_index"]
    with transaction.atomic():
        base._load_all(vendor, data)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Marriage, Birth, Contraception]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    n = Person.objects.count()
    print(
        f"bench: search_load_seconds {time.perf_counter() - t0:.1f} s ({n} persons, {len(villages)} villages, {vendor})"
    )

    User = get_user_model()
    county = Region.objects.get(level=Level.COUNTY)
    township = Region.objects.filter(level=Level.TOWNSHIP).order_by("code").first()
    users = {
        "county": User.objects.create(username="bench_county", role=Role.COUNTY_ADMIN, region=county),
        "township": User.objects.create(username="bench_township", role=Role.TOWNSHIP_OPERATOR, region=township),
    }
    rnd = random.Random(7)
    numbers = list(data["numbers"].items())
    people = list(Person.objects.values_list("pk", "name", "name_pinyin", "name_initials", "registered_code"))
    in_town = [p for p in people if p[4].startswith(township.prefix)]
    town_pks = {p[0] for p in in_town}
    max_pk = max(p[0] for p in people)

    def page(user, criteria):
        qs = person_search(user=user, criteria=criteria).select_related("household")
        total = qs.count()
        rows = list(qs[:PAGE])
        return total, rows

    def pk_lookup(pk):
        Person.objects.get(pk=pk)

    def id_lookup(user, typed):
        page(user, {"id_index": citizen_id_index(parse(typed).number)})

    def run_all(label):
        report(f"baseline_pk_lookup{label}", timed(pk_lookup, [(rnd.randint(1, max_pk),) for _ in range(RUNS)]), 99)
        for who, user in users.items():
            pool = numbers if who == "county" else [x for x in numbers if x[1] in town_pks]
            sample = [(user, rnd.choice(pool)[0].lower()) for _ in range(RUNS)]
            report(f"id_lookup_{who}{label}", timed(id_lookup, sample), 99)
            persons = people if who == "county" else in_town
            picks = [rnd.choice(persons) for _ in range(RUNS)]
            cases = {
                "name_exact": [(user, {"name": p[1], "name_mode": "exact"}) for p in picks],
                "name_prefix": [(user, {"name": p[1][:2], "name_mode": "prefix"}) for p in picks],
                "pinyin_full": [(user, {"name": p[2]}) for p in picks],
                "pinyin_initials": [(user, {"name": p[3]}) for p in picks],
            }
            for case, args in cases.items():
                report(f"{case}_{who}{label}", timed(page, args), 95)

    # Warm the caches (connection, code tables, the OS page cache) first.
    timed(page, [(users["county"], {"name": "zs"})] * 5)
    run_all("")
    with connection.cursor() as cursor:
        for sql in PROPOSED_INDEXES[vendor]:
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    run_all("_with_name_index")
    return 0


def main() -> int:
    vendor, cleanup = prepare_database()
    base.setup_django()
    try:
        return bench(vendor)
    finally:
        cleanup()


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"bench: search_total_seconds {time.perf_counter() - started:.0f} s")
    sys.exit(code)
