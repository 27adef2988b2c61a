"""Probabilistic matching of departmental persons (issue 20): speed and
accuracy of the matcher itself (pims.integration.pipeline.probable, Splink on
DuckDB), on a synthetic register with a known truth.

A register of N persons (default 100,000 × BENCH_SCALE; BENCH_SCALE=10 is the
1M of the goal) — names drawn with realistic surname frequencies, birth
dates, sexes, couples, valid IDs — and a departmental file of M records
(default 10,000 × BENCH_SCALE, 10 % of them persons the register does not
hold) with the noise departments send: no ID, a mistyped ID digit, two ID
digits swapped, a homophone character, traditional characters, a space in
the name, day and month swapped, the spouse's (father's) name given.

Printed: the county model's training time; the scoring time and rate; in the
same process the floor — the exact-ID hash join of the same file against the
register in DuckDB, what every record would cost if all IDs were right; and
the accuracy at the thresholds of the parameter table (automatic: precision
and recall; automatic + review: the share of true persons found, the review
queue's share of the file). Not end to end: the register export from
PostgreSQL and the filing of events are measured by bench_import / the
intake tests; this isolates what the issue adds.

    .venv/bin/python bench/bench_match.py
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
for key, value in {
    "PIMS_ENV": "test",
    "SECRET_KEY": "bench",
    "BLIND_INDEX_KEY": "bench",
    "FIELD_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
    "DATABASE_URL": "sqlite:///:memory:",
}.items():
    os.environ.setdefault(key, value)

import datetime as dt  # noqa: E402

import django  # noqa: E402

django.setup()

from pims.integration.pipeline import probable  # noqa: E402
from pims.lib.citizen_id import make_citizen_id  # noqa: E402
from pims.lib.names import name_pinyin  # noqa: E402

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
N = int(100_000 * SCALE)
M = int(10_000 * SCALE)
AUTO_MIN, REVIEW_MIN = 0.99, 0.2  # the parameter table's seed values
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉梅红鹏辉玲建国海燕春雪林斌宇浩凯欣佳怡子涵晨阳思雨博文"
HOMOPHONES = [
    "丽莉利力立",
    "伟维卫",
    "芳方",
    "静晶敬",
    "军君",
    "明铭",
    "华化",
    "红宏洪",
    "英鹰",
    "燕艳雁",
    "玲铃龄",
    "杰洁",
    "强墙",
    "平萍",
    "涛韬",
    "霞侠",
    "娟鹃",
    "梅玫",
    "敏民",
    "勇永",
    "刚钢",
    "辉晖",
    "磊垒",
]
SOUND = {ch: group for group in HOMOPHONES for ch in group}
TRADITIONAL = dict(
    zip(
        "张刘陈杨赵黄吴华红丽伟军东国龙马孙宋郑谢韩冯邓许沈",
        "張劉陳楊趙黃吳華紅麗偉軍東國龍馬孫宋鄭謝韓馮鄧許瀋",
        strict=True,
    )
)


def surname(rng: random.Random) -> str:
    # Zipf-like: the first surnames are far more common (王, 李, 张 …).
    return SURNAMES[min(int(rng.paretovariate(1.2)) - 1, len(SURNAMES) - 1)]


def person(rng: random.Random, i: int) -> dict:
    name = surname(rng) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    sex = rng.choice("12")
    birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(33_000))
    return {
        "uid": i,
        "name": name,
        "sex": sex,
        "birth": birth,
        "id": make_citizen_id("210124", birth, i % 999, sex),
        "partner": "",
    }


def register(rng: random.Random) -> list[dict]:
    people = [person(rng, i + 1) for i in range(N)]
    for a, b in zip(people[0::4], people[1::4], strict=False):  # half of them married
        a["partner"], b["partner"] = b["name"], a["name"]
    return people


def table_of(people: list[dict]) -> dict[str, list]:
    table = probable._empty()
    for p in people:
        pinyin, initials = name_pinyin(p["name"])
        partner = name_pinyin(p["partner"])[0] if p["partner"] else ""
        probable._add(
            table,
            uid=p["uid"],
            name=p["name"],
            pinyin=pinyin,
            initials=initials,
            sex=p["sex"],
            birth=p["birth"],
            partner=partner,
            id_given=True,
            near=[],
        )
    return table


def noisy(rng: random.Random, p: dict) -> tuple[probable.Wanted, str]:
    """A departmental record of person p, with one kind of noise (its name)."""
    name, birth, raw_id, partner = p["name"], p["birth"], "", p["partner"] if rng.random() < 0.6 else ""
    kind = rng.choices(
        ["no_id", "digit", "swap", "homophone", "traditional", "space", "day_month"], [40, 12, 12, 12, 8, 8, 8]
    )[0]
    if kind == "digit":
        i = rng.randrange(17)
        raw_id = p["id"][:i] + str((int(p["id"][i]) + rng.randrange(1, 10)) % 10) + p["id"][i + 1 :]
    elif kind == "swap":
        i = rng.randrange(16)
        raw_id = p["id"][:i] + p["id"][i + 1] + p["id"][i] + p["id"][i + 2 :]
        kind = "swap" if raw_id != p["id"] else "no_id"
        raw_id = raw_id if raw_id != p["id"] else ""
    elif kind == "homophone":
        spots = [i for i, ch in enumerate(name) if i and ch in SOUND]
        if spots:
            i = rng.choice(spots)
            name = name[:i] + rng.choice([c for c in SOUND[name[i]] if c != name[i]]) + name[i + 1 :]
    elif kind == "traditional":
        name = "".join(TRADITIONAL.get(ch, ch) for ch in name)
    elif kind == "space":
        name = name[0] + " " + name[1:]
    elif kind == "day_month" and birth.day <= 12 and birth.day != birth.month:
        birth = birth.replace(month=birth.day, day=birth.month)
    return probable.Wanted(name=name, sex=p["sex"], birth_date=birth, partner=partner, raw_id=raw_id), kind


def main() -> int:
    rng = random.Random(20)
    print(f"register {N:,} persons, file {M:,} records (BENCH_SCALE={SCALE:g})")
    t = time.perf_counter()
    people = register(rng)
    table = table_of(people)
    print(f"  synthetic register built            {time.perf_counter() - t:7.1f} s")

    t = time.perf_counter()
    settings = probable.trained_settings(table)
    print(f"  county model trained (u, seeded)    {time.perf_counter() - t:7.1f} s")

    records: list = []
    truth: list = []
    kinds: list = []
    by_id = {p["id"]: p["uid"] for p in people}
    for _ in range(M):
        if rng.random() < 0.1:  # somebody the register does not hold
            stranger = person(rng, 10_000_000 + len(records))
            records.append(probable.Wanted(name=stranger["name"], sex=stranger["sex"], birth_date=stranger["birth"]))
            truth.append(None)
            kinds.append("stranger")
            continue
        p = rng.choice(people)
        wanted, kind = noisy(rng, p)
        records.append(wanted)
        truth.append(p["uid"])
        kinds.append(kind)

    # The floor: the exact-ID hash join of the same file against the register, in DuckDB, same process.
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE reg AS SELECT * FROM (SELECT unnest($1) AS id, unnest($2) AS uid)",
        [[p["id"] for p in people], [p["uid"] for p in people]],
    )
    file_ids = [people[uid - 1]["id"] if uid else "" for uid in truth]
    t = time.perf_counter()
    con.execute("CREATE TABLE f AS SELECT unnest($1) AS id", [file_ids])
    (joined,) = con.execute("SELECT count(*) FROM f JOIN reg USING (id)").fetchone() or (0,)
    floor = time.perf_counter() - t
    print(f"  floor: exact-ID join of the file    {floor:7.2f} s  ({joined:,} joined)")

    t = time.perf_counter()
    near = [[by_id[n] for n in probable.id_variants(r.raw_id) if n in by_id] if r.raw_id else [] for r in records]
    for r, n in zip(records, near, strict=True):
        r.near = n
    variants = time.perf_counter() - t
    t = time.perf_counter()
    scorer = probable.Scorer(table, settings)
    setup = time.perf_counter() - t
    t = time.perf_counter()
    scored = []
    for start in range(0, M, 500):  # the pipeline's chunk
        scored += scorer.score(records[start : start + 500], floor=REVIEW_MIN)
    elapsed = time.perf_counter() - t
    print(f"  one-slip ID variants looked up      {variants:7.1f} s")
    print(f"  register into DuckDB + tf table     {setup:7.1f} s")
    print(f"  scoring (chunks of 500)             {elapsed:7.1f} s  ({M / elapsed:,.0f} records/s)")
    print(f"  matcher total / floor               {(variants + setup + elapsed) / max(floor, 1e-6):7.0f} ×")
    report(records, truth, kinds, scored)
    return 0


def report(records, truth, kinds, scored) -> None:
    auto_right = auto_wrong = review = review_found = found_total = 0
    per_kind: dict[str, list[int]] = {}
    for r, true, kind, found in zip(records, truth, kinds, scored, strict=True):
        clear = found and found[0].probability >= AUTO_MIN and len(found) == 1 and not r.raw_id
        row = per_kind.setdefault(kind, [0, 0, 0])
        row[0] += 1
        if clear:
            if found[0].person_id == true:
                auto_right += 1
                row[1] += 1
            else:
                auto_wrong += 1
        elif found:
            review += 1
            if true in [s.person_id for s in found]:
                review_found += 1
                row[2] += 1
        found_total += true is not None
    auto = auto_right + auto_wrong
    print(f"accuracy at automatic ≥ {AUTO_MIN}, review ≥ {REVIEW_MIN}:")
    print(
        f"  automatic: {auto:,} records, precision {auto_right / max(auto, 1):.4f}, "
        f"recall {auto_right / max(found_total, 1):.4f}"
    )
    print(
        f"  automatic + review: recall {(auto_right + review_found) / max(found_total, 1):.4f}; "
        f"review queue {review:,} = {review / len(records):.1%} of the file "
        f"({review - review_found:,} without the true person)"
    )
    print("  by noise: records / automatic right / in review with the true person")
    for kind, (n, a, rv) in sorted(per_kind.items()):
        print(f"    {kind:12} {n:7,} {a:7,} {rv:7,}")


if __name__ == "__main__":
    sys.exit(main())
