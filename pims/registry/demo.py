"""Demo households for `manage.py setup_demo` (`make run`): a synthetic
population of all 245 villages of 法库县 — and of any other county given with
`setup_demo --county` — (pims.synth), written set-based as approved
collection forms with baseline spells.

Scales: "demo" (default, 20 persons per village ≈ 5,000 people, loads in
seconds on SQLite) or "full" (1,400 per village ≈ 343,000 people, the real
county's size). `PIMS_DEMO_SCALE=full make run` picks the full one.
Idempotent: nothing is seeded in a county whose villages already hold households.
"""

import os
import time

SCALES = {"demo": 20, "full": 1400}
COUNTY = "210124"
SEED = 20261129


def seed_demo(*, scale: str | None = None, stdout=None, counties: list[str] | None = None):
    from pims.registry.models import Household
    from pims.synth.generator import Generator, Population
    from pims.synth.selectors import flow_codes, village_specs, villages_under
    from pims.synth.services import population_write

    scale = scale or os.environ.get("PIMS_DEMO_SCALE", "demo")
    if scale not in SCALES:
        raise ValueError(f"demo scale must be one of {', '.join(SCALES)}, not {scale!r}")
    seeded = [c for c in counties or [COUNTY] if Household.objects.filter(region_code__startswith=c).exists()]
    todo = [c for c in counties or [COUNTY] if c not in seeded]
    if not todo:
        return f"{', '.join(seeded)} 已有户数据，未再生成演示数据 (households exist; nothing seeded)"
    villages = villages_under(todo)
    if not villages:
        return f"{', '.join(todo)} 没有村级区划（先运行 load_regions）; no villages, nothing seeded"
    started = time.perf_counter()
    generator = Generator(seed=SEED, other_codes=flow_codes(villages))
    pop = Population()
    for spec in village_specs(villages, per_village=SCALES[scale]):
        pop.extend(generator.village(spec))
    if stdout is not None:
        stdout.write(f"generated {len(pop.persons)} persons in {time.perf_counter() - started:.1f}s, writing …")
    result = population_write(actor=None, population=pop, generator=generator, username="system:setup_demo")
    baselines = sum(seed_demo_baselines(c) for c in todo)
    return f"演示数据 demo data ({scale}): {result}, 摸底基数 {baselines} 村 in {time.perf_counter() - started:.1f}s"


def seed_demo_baselines(county_code: str) -> int:
    """A 摸底 head-count baseline for every village of the county that has
    none, so that the completeness figures mean something on first start: the
    collected households and persons, and in every third village one household
    (two persons) more than was collected — a village not yet complete.
    Entered as the county's administrator, set-based, one audit row."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from pims.accounts.roles import Role
    from pims.audit.models import Action
    from pims.audit.services import audit_record
    from pims.lib import clock
    from pims.registry.models import Household, Person
    from pims.registry.models.sampling import VillageBaseline

    admin = (
        get_user_model()
        .objects.filter(role=Role.COUNTY_ADMIN, region__code__startswith=county_code, is_active=True)
        .order_by("pk")
        .first()
    )
    if admin is None:
        return 0
    have = set(VillageBaseline.objects.filter(region_code__startswith=county_code).values_list("village_id", flat=True))
    households = {
        row["village_id"]: (row["region_code"], row["n"])
        for row in Household.objects.filter(region_code__startswith=county_code)
        .values("village_id", "region_code")
        .annotate(n=Count("id"))
        .order_by()
    }
    persons = dict(
        Person.objects.filter(household__region_code__startswith=county_code)
        .values_list("household__village_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    now = clock.now()
    rows = []
    for i, (village_id, (code, n)) in enumerate(sorted(households.items(), key=lambda kv: kv[1][0])):
        if village_id in have:
            continue
        short = 1 if i % 3 == 0 else 0
        rows.append(
            VillageBaseline(
                village_id=village_id,
                region_code=code,
                expected_households=n + short,
                expected_persons=persons.get(village_id, 0) + 2 * short,
                entered_by=admin,
                entered_at=now,
            )
        )
    VillageBaseline.objects.bulk_create(rows, batch_size=1000)
    if rows:
        audit_record(
            actor=admin,
            action=Action.LOAD,
            obj=("registry.villagebaseline", ""),
            region_code=county_code.ljust(12, "0"),
            detail={"what": "demo_baseline", "rows": len(rows)},
        )
    return len(rows)
