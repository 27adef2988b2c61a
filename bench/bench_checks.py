"""Batch logic check (批量逻辑审核) over a whole county.

Builds N persons (default 20,000 × BENCH_SCALE) in family households spread
over townships and villages, with a small share of planted errors, runs every
register rule through `check_run_system` and compares the time with a plain
full scan (count of persons joined to their households under the county).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_checks.py

On PostgreSQL the script creates (and afterwards drops) its own database
`pims_bench` on the same server and loads rows with COPY; without a
PostgreSQL URL it uses a temporary SQLite file. The database named in
DATABASE_URL is only used to issue CREATE/DROP DATABASE.
"""

import csv
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

from pims.lib import clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import load_rows, run_in_database, scale  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "pims_bench")
COUNTY = "210124"
TODAY = clock.today()
NOW = dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------------------
# Data


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇欣怡子涵梓轩雨辰佳琪晨阳思远博文嘉怡"

PERSON_COLS = [
    "id",
    "household_id",
    "row",
    "name",
    "name_pinyin",
    "name_initials",
    "id_cipher",
    "id_masked",
    "id_sex",
    "no_id_reason",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "occupation",
    "marital_status",
    "relationship",
    "hukou_type",
    "registered_code",
    "residence_code",
    "responsible_code",
    "residence_status",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "status",
    "death_date",
    "created_at",
    "updated_at",
]
HOUSEHOLD_COLS = [
    "id",
    "village_id",
    "region_code",
    "number",
    "hh_type",
    "address",
    "head_id",
    "status",
    "form_number",
    "volume_number",
    "form_scan",
    "form_state",
    "version",
    "created_at",
    "updated_at",
]
MARRIAGE_COLS = ["id", "husband_id", "wife_id", "date", "kind", "end_reason"]
BIRTH_COLS = ["id", "child_id", "mother_id", "father_id", "birth_order", "certificate_no"]
CONTRACEPTION_COLS = ["id", "woman_id", "method", "start_date"]


def shift(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class Generator:
    """Family households: a head, usually a wife and 0–3 children, sometimes
    a parent of the head; about 1 in 200 persons carries a planted error."""

    def __init__(self, villages: list[tuple[int, str]], target: int, seed: int = 20261129):
        self.rnd = random.Random(seed)
        self.villages = villages
        self.target = target
        self.t: dict[str, list[tuple]] = {k: [] for k in ("household", "person", "marriage", "birth", "contraception")}
        self.ids = dict.fromkeys(self.t, 0)

    def next_id(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def name(self, surname=None):
        r = self.rnd
        return (surname or r.choice(SURNAMES)) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))

    def date(self, lo: int, hi: int) -> dt.date:
        return dt.date(self.rnd.randint(lo, hi), self.rnd.randint(1, 12), self.rnd.randint(1, 28))

    def person(self, hh, code, row, sex, birth, rel, marital, name, **over):
        pid = self.next_id("person")
        values = {
            "id": pid,
            "household_id": hh,
            "row": row,
            "name": name,
            "name_pinyin": "",
            "name_initials": "",
            "id_cipher": "",
            "id_masked": "",
            "id_sex": "",
            "no_id_reason": "1",
            "sex": sex,
            "birth_date": birth,
            "ethnicity": "01",
            "education": "",
            "occupation": "",
            "marital_status": marital,
            "relationship": rel,
            "hukou_type": "2",
            "registered_code": code,
            "residence_code": code,
            "responsible_code": code,
            "residence_status": "1",
            "phone_cipher": "",
            "phone_index": "",
            "phone_masked": "",
            "status": "1",
            "death_date": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        values.update(over)
        self.t["person"].append(tuple(values[c] for c in PERSON_COLS))
        return pid

    def bad(self) -> bool:
        return self.rnd.random() < 0.005

    def household(self, n: int):
        r = self.rnd
        village_id, code = self.villages[n % len(self.villages)]
        hid = self.next_id("household")
        surname = r.choice(SURNAMES)
        head_birth = self.date(1945, 1998)
        married = shift(head_birth, 22) <= TODAY and r.random() < 0.85
        head = self.person(
            hid,
            code,
            1,
            "1",
            head_birth,
            "02",
            "20" if married else "10",
            self.name(surname),
            education=r.choice(("", "61", "71", "81")),
        )
        row = 1
        if married:
            row += 1
            wife_birth = min(shift(head_birth, r.randint(-2, 4)), shift(TODAY, -20))
            wife = self.person(hid, code, row, "1" if self.bad() else "2", wife_birth, "10", "20", self.name())
            wed = shift(max(head_birth, wife_birth), r.randint(22, 28))
            if self.bad():
                wed = shift(head_birth, 19)
            self.t["marriage"].append((self.next_id("marriage"), head, wife, min(wed, TODAY), "first", ""))
            age = TODAY.year - wife_birth.year
            if 15 <= age <= 49 and r.random() < 0.9:
                method = "02" if r.random() < 0.2 else "03"
                start = min(shift(wed, 2), TODAY)
                self.t["contraception"].append((self.next_id("contraception"), wife, method, start))
            for order in range(1, r.choice((0, 1, 1, 2, 2, 3)) + 1):
                born = shift(wed, order * 2 + r.randint(0, 1))
                if born >= TODAY:
                    break
                row += 1
                sex = r.choice("12")
                rel = ("2" if sex == "1" else "3") + str(min(order + 1, 5))
                child = self.person(hid, code, row, sex, born, rel, "10", self.name(surname))
                shown_order = 1 if self.bad() else order
                self.t["birth"].append((self.next_id("birth"), child, wife, head, shown_order, ""))
        if r.random() < 0.15:
            row += 1
            parent_birth = shift(head_birth, -r.randint(20, 35))
            if self.bad():
                parent_birth = shift(head_birth, 3)
            self.person(hid, code, row, r.choice("12"), parent_birth, r.choice(("51", "52")), "30", self.name())
        self.t["household"].append(
            (
                hid,
                village_id,
                code,
                f"{hid:08d}",
                "1",
                "测试村 1 组",
                head,
                "active",
                "",
                "",
                "",
                "approved",
                1,
                NOW,
                NOW,
            )
        )
        return row

    def run(self):
        n = 0
        while self.ids["person"] < self.target:
            self.household(n)
            n += 1
        return self.t


def build_regions(n_villages: int) -> list[tuple[int, str]]:
    from pims.regions.models import Level, Region

    valid = dt.date(2023, 6, 30)
    prov = Region.objects.create(code="210000000000", name="辽宁省", level=Level.PROVINCE, valid_from=valid)
    city = Region.objects.create(code="210100000000", name="沈阳市", level=Level.CITY, parent=prov, valid_from=valid)
    county = Region.objects.create(
        code=f"{COUNTY}000000", name="法库县", level=Level.COUNTY, parent=city, valid_from=valid
    )
    villages = []
    per_township = 13
    for t in range((n_villages + per_township - 1) // per_township):
        town = Region.objects.create(
            code=f"{COUNTY}{101 + t:03d}000", name=f"镇{t + 1}", level=Level.TOWNSHIP, parent=county, valid_from=valid
        )
        batch = [
            Region(
                code=f"{COUNTY}{101 + t:03d}{200 + v:03d}",
                name=f"镇{t + 1}村{v + 1}",
                level=Level.VILLAGE,
                parent=town,
                valid_from=valid,
            )
            for v in range(min(per_township, n_villages - t * per_township))
        ]
        villages += [(r.pk, r.code) for r in Region.objects.bulk_create(batch)]
    if not all(pk for pk, _ in villages):  # SQLite before 3.35 returns no ids
        villages = list(Region.objects.filter(level=Level.VILLAGE).values_list("pk", "code"))
    return villages


def load_code_tables():
    from pims.codes.models import Code, CodeTable, CodeVersion

    data = ROOT / "pims" / "codes" / "data"
    for key, file in [
        ("ethnicity", "ethnic_gb3304.csv"),
        ("family_relationship", "family_relationship_gbt4761.csv"),
        ("marital_status", "marital_status_gbt2261_2.csv"),
        ("household_registration_type", "household_registration_type.csv"),
        ("education", "education_gbt4658.csv"),
    ]:
        table = CodeTable.objects.create(key=key, name=key)
        version = CodeVersion.objects.create(table=table, number=1, is_current=True, checksum="0" * 64)
        with open(data / file, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        Code.objects.bulk_create(
            Code(version=version, code=r["code"], name=r["name_zh"], sort=i) for i, r in enumerate(rows)
        )


def _load_all(data):
    from pims.registry.models import Birth, Contraception, Household, Marriage, Person

    for model, cols, key in [
        (Household, HOUSEHOLD_COLS, "household"),
        (Person, PERSON_COLS, "person"),
        (Marriage, MARRIAGE_COLS, "marriage"),
        (Birth, BIRTH_COLS, "birth"),
        (Contraception, CONTRACEPTION_COLS, "contraception"),
    ]:
        load_rows(model, cols, data[key])


def main() -> int:
    return run_in_database(BENCH_DB, bench)


def bench(vendor: str) -> int:
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from pims.regions.models import Region
    from pims.registry.checks.batch import check_run_system
    from pims.registry.models import Birth, Contraception, Household, Marriage, Person

    persons = int(20000 * scale())
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    villages = build_regions(max(10, min(250, persons // 1600)))
    load_code_tables()
    data = Generator(villages, persons).run()
    generated = time.perf_counter()
    with transaction.atomic():  # foreign keys are checked at commit (households name their heads)
        _load_all(data)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Marriage, Birth, Contraception]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")

    loaded = time.perf_counter()
    n_persons = len(data["person"])
    print(
        f"bench: checks_load_seconds {loaded - generated:.2f} s ({n_persons} persons, "
        f"{len(data['household'])} households, {len(villages)} villages, {vendor})"
    )
    print(f"bench: checks_generate_seconds {generated - started:.2f} s")

    region = Region.objects.get(code=f"{COUNTY}000000")
    scan_sql = (
        "SELECT count(*) FROM registry_person p JOIN registry_household h ON p.household_id = h.id "
        "WHERE h.region_code LIKE %s AND h.status = 'active'"
    )
    scans = []
    with connection.cursor() as cursor:
        for _ in range(3):
            t0 = time.perf_counter()
            cursor.execute(scan_sql, [region.prefix + "%"])
            assert cursor.fetchone()[0] == n_persons
            scans.append(time.perf_counter() - t0)
    scan = min(scans)

    timings = []
    t0 = time.perf_counter()
    run = check_run_system(region=region, progress=lambda rule, n, s: timings.append((s, rule.id, n)))
    batch = time.perf_counter() - t0
    assert run.persons == n_persons, (run.persons, n_persons)
    slowest = ", ".join(f"{rid} {s:.2f}s/{n}" for s, rid, n in sorted(timings, reverse=True)[:6])
    print(f"bench: checks_rules {run.rules} rules, {run.errors} errors, {run.warnings} warnings")
    print(f"bench: checks_slowest_rules {slowest}")
    print(f"bench: checks_scan_seconds {scan:.4f} s")
    print(f"bench: checks_persons {n_persons} persons")
    print(f"bench: checks_batch_seconds {batch:.2f} s")
    print(f"bench: checks_ratio_to_scan {batch / scan:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
