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
    return f"演示数据 demo data ({scale}): {result} in {time.perf_counter() - started:.1f}s"
