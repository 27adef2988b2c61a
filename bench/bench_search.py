"""Person search (信息查询) latency, county to province scale.

Builds N persons (50,000 × BENCH_SCALE; BENCH_SCALE=200 is the issue's 10M)
in family households, county by county (≤ 400,000 persons in 250 synthetic
villages under each real Liaoning county, 10 townships of 25 villages), with
encrypted citizen IDs, blind indexes, masked forms and name pinyin exactly as
the bulk writers store them, loaded with COPY. Then it times, through the real
selector (`person_search`: the scoped queryset, its count and the first page
of 50 rows, i.e. what the search page runs):

- ID lookup (normalise + blind index + scoped query), goal p99 < 10 ms;
- name exact, name prefix, full pinyin and pinyin initials, goal p95 < 100 ms;
- the baseline: a primary-key lookup of a person, in the same run.

Each search runs as a township operator, a county administrator and a
province viewer (who sees every loaded person).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_SCALE=200 BENCH_KEEP=1 \\
        .venv/bin/python bench/bench_search.py

On PostgreSQL the script creates its own database `pims_bench_search` (the
database in DATABASE_URL only issues CREATE/DROP); BENCH_KEEP=1 keeps it and
BENCH_REUSE=1 times an existing one again without rebuilding it (also what
bench/bench_person_page.py serves). Without a PostgreSQL URL it uses a
temporary SQLite file.
"""

import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_checks as base  # noqa: E402
from _support import (  # noqa: E402
    liaoning_counties,
    load_rows,
    machine,
    migrate_and_load,
    run_in_database,
    scale,
    synthetic_villages,
)

BENCH_DB = os.environ.get("BENCH_DB", "pims_bench_search")  # per engineer on a shared server
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
PAGE = 50
PER_COUNTY = 400_000
SAMPLE_ROWS = 20_000  # persons drawn from the database as search inputs
# Fixed keys, so that a kept database can be read again (BENCH_REUSE) and
# served (bench_person_page.py). Benchmark data only: never a real key.
BENCH_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtZmllbGQta2V5LW5vdC1mb3ItcmVhbC1kYXQ=",
    "BLIND_INDEX_KEY": "YmVuY2gtYmxpbmQtaW5kZXgta2V5LW5vdC1mb3ItcmVhbA==",
}
USERNAMES = {"township": "bench_township", "county": "bench_county", "province": "bench_province"}
PASSWORD = "Bench-search-2026"  # noqa: S105  (benchmark accounts only)


def enrich(rows: list[tuple]) -> list[tuple]:
    """Fill what the search needs and the checks generator leaves blank: the
    name's pinyin and the stored forms of a citizen ID (cipher, blind index,
    masked), as the bulk writers store them; `id_index` goes last."""
    from pims.lib.citizen_id import make_citizen_id
    from pims.lib.names import name_pinyin
    from pims.registry.personal import citizen_id_stored

    cols = base.PERSON_COLS
    i_name, i_py, i_ini = cols.index("name"), cols.index("name_pinyin"), cols.index("name_initials")
    i_sex, i_birth, i_code = cols.index("sex"), cols.index("birth_date"), cols.index("registered_code")
    i_cipher, i_masked = cols.index("id_cipher"), cols.index("id_masked")
    i_reason, i_idsex = cols.index("no_id_reason"), cols.index("id_sex")
    seen = set()
    out = []
    for source in rows:
        row = list(source)
        row[i_py], row[i_ini] = name_pinyin(row[i_name])
        seq = row[0]
        number = make_citizen_id(row[i_code][:6], row[i_birth], seq, row[i_sex])
        while number in seen:  # same birth date and sequence: try the next odd/even sequence
            seq += 2
            number = make_citizen_id(row[i_code][:6], row[i_birth], seq, row[i_sex])
        seen.add(number)
        cipher, index, masked = citizen_id_stored(number)
        row[i_cipher], row[i_masked], row[i_reason], row[i_idsex] = cipher, masked, "", row[i_sex]
        out.append((*row, index))
    return out


ID_STRIDE = 1_000_000  # county i's row ids start at i × ID_STRIDE (> PER_COUNTY rows of any table)


def county_rows(job: tuple) -> dict:
    """One county's rows, generated and enriched (runs in a worker process)."""
    i, villages, persons = job
    generator = base.Generator(villages, i * ID_STRIDE + persons, seed=20261129 + i)
    generator.ids = dict.fromkeys(generator.ids, i * ID_STRIDE)
    data = generator.run()
    data["person"] = enrich(data["person"])
    return data


def build(vendor: str, target: int) -> None:
    """County by county: worker processes generate and enrich the next
    counties while this one COPYs the last; memory stays a few counties."""
    import multiprocessing

    from django.core.management.color import no_style
    from django.db import connection, connections, transaction

    from pims.registry.models import Birth, Contraception, Household, Marriage, Person

    migrate_and_load()
    k = max(1, math.ceil(target / PER_COUNTY))
    jobs = [
        (i, [(v.pk, v.code) for v in synthetic_villages(county)], target // k)
        for i, county in enumerate(liaoning_counties(k))
    ]
    connections.close_all()  # the workers are forked: no shared connection
    t0 = time.perf_counter()
    loaded = 0
    with multiprocessing.get_context("fork").Pool(max(1, (os.cpu_count() or 2) - 1)) as pool:
        pending = [pool.apply_async(county_rows, (job,)) for job in jobs[:2]]
        for i in range(k):
            data = pending.pop(0).get()
            if i + 2 < k:  # at most two counties ahead: bounded memory
                pending.append(pool.apply_async(county_rows, (jobs[i + 2],)))
            with transaction.atomic():  # households name their heads: FKs checked at commit
                for model, cols, key in [
                    (Household, base.HOUSEHOLD_COLS, "household"),
                    (Person, [*base.PERSON_COLS, "id_index"], "person"),
                    (Marriage, base.MARRIAGE_COLS, "marriage"),
                    (Birth, base.BIRTH_COLS, "birth"),
                    (Contraception, base.CONTRACEPTION_COLS, "contraception"),
                ]:
                    load_rows(model, cols, data[key])
            loaded += len(data["person"])
            print(f"  county {i + 1}/{k}: {loaded} persons, {time.perf_counter() - t0:.0f} s", flush=True)
            del data
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Marriage, Birth, Contraception]):
            cursor.execute(sql)
        cursor.execute("VACUUM (ANALYZE)")  # as autovacuum leaves a loaded table: hint bits, visibility map
    print(f"bench: search_load_seconds {time.perf_counter() - t0:.1f} s ({loaded} persons, {k} counties)")


def upgrade() -> None:
    """A kept database gets the migrations written since it was built, as a
    deployed register does on upgrade (new indexes are built here)."""
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"bench: search_migrate_seconds {time.perf_counter() - t0:.1f} s (migrations applied to the kept database)")


def bench_users() -> dict:
    """A township operator, a county administrator (both in the first
    county) and a province viewer; created once, kept with the database."""
    from django.contrib.auth import get_user_model

    from pims.accounts.roles import Role
    from pims.regions.models import Level, Region

    county = liaoning_counties(1)[0]
    township = Region.objects.filter(level=Level.TOWNSHIP, parent=county).order_by("code").first()
    province = Region.objects.get(code="210000000000")
    User = get_user_model()
    users = {}
    for who, role, region in [
        ("township", Role.TOWNSHIP_OPERATOR, township),
        ("county", Role.COUNTY_ADMIN, county),
        ("province", Role.PROVINCE_VIEWER, province),
    ]:
        user, created = User.objects.get_or_create(username=USERNAMES[who], defaults={"role": role, "region": region})
        if created:
            user.set_password(PASSWORD)
            user.save()
        users[who] = user
    return users


def sample_persons(vendor: str) -> list[tuple]:
    """(pk, name, pinyin, initials, registered code, ID number) of about
    SAMPLE_ROWS persons spread over the table."""
    from django.db import connection

    from pims.lib import crypto
    from pims.registry.models import Person

    total = Person.objects.count()
    with connection.cursor() as cursor:
        cols = "id, name, name_pinyin, name_initials, registered_code, id_cipher"
        if vendor == "postgresql":
            percent = min(100.0, 100.0 * SAMPLE_ROWS / max(total, 1))
            cursor.execute(f"SELECT {cols} FROM registry_person TABLESAMPLE BERNOULLI (%s) REPEATABLE (7)", [percent])  # noqa: S608
        else:
            cursor.execute(f"SELECT {cols} FROM registry_person ORDER BY random() LIMIT %s", [SAMPLE_ROWS])  # noqa: S608
        rows = cursor.fetchall()
    return [(*r[:5], crypto.decrypt(r[5], aad=b"citizen_id")) for r in rows if r[5]]


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
    from pims.lib.citizen_id import parse
    from pims.registry.models import Person
    from pims.registry.personal import citizen_id_index
    from pims.search.selectors import search_paginator

    target = int(50_000 * scale())
    if not (os.environ.get("BENCH_REUSE") and Person.objects.exists()):
        build(vendor, target)
    else:
        upgrade()
    n = Person.objects.count()
    print(f"machine: {machine()}; database {vendor}; {n} persons")
    users = bench_users()
    rnd = random.Random(7)
    people = sample_persons(vendor)
    max_pk = max(p[0] for p in people)

    def page(user, criteria):
        """What the search page runs: the capped count and the first page."""
        first = search_paginator(user=user, criteria=criteria, per_page=PAGE).get_page(1)
        return first.paginator.count, list(first.object_list)

    def pk_lookup(pk):
        Person.objects.filter(pk=pk).first()

    def id_lookup(user, typed):
        page(user, {"id_index": citizen_id_index(parse(typed).number)})

    # Warm the connection, the code tables and the caches first.
    timed(page, [(users["county"], {"name": "zs"})] * 5)
    report("baseline_pk_lookup", timed(pk_lookup, [(rnd.randint(1, max_pk),) for _ in range(RUNS)]), 99)
    for who, user in users.items():
        prefix = user.region.prefix
        pool = [p for p in people if p[4].startswith(prefix)]
        if not pool:
            continue
        report(f"id_lookup_{who}", timed(id_lookup, [(user, rnd.choice(pool)[5].lower()) for _ in range(RUNS)]), 99)
        picks = [rnd.choice(pool) for _ in range(RUNS)]
        cases = {
            "name_exact": [(user, {"name": p[1], "name_mode": "exact"}) for p in picks],
            "name_prefix": [(user, {"name": p[1][:2], "name_mode": "prefix"}) for p in picks],
            "pinyin_full": [(user, {"name": p[2]}) for p in picks],
            "pinyin_initials": [(user, {"name": p[3]}) for p in picks],
        }
        for case, args in cases.items():
            report(f"{case}_{who}", timed(page, args), 95)
    return 0


def main() -> int:
    for key, value in BENCH_KEYS.items():
        os.environ.setdefault(key, value)
    return run_in_database(BENCH_DB, bench, reuse=bool(os.environ.get("BENCH_REUSE")))


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"bench: search_total_seconds {time.perf_counter() - started:.0f} s")
    sys.exit(code)
