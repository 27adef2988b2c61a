"""Which villages a generated population covers."""

from pims.regions.models import Level, Region

from .generator import VillageSpec

# Faku County: 340,000 registered people in 245 villages (DESIGN.md §1, pims/regions/data).
DEFAULT_PER_VILLAGE = 1400


def villages_under(prefixes: list[str]) -> list[Region]:
    qs = Region.objects.filter(level=Level.VILLAGE, valid_to__isnull=True)
    found: dict[str, Region] = {}
    for prefix in prefixes:
        for region in qs.filter(code__startswith=prefix.strip()):
            found[region.code] = region
    return [found[c] for c in sorted(found)]


def village_specs(villages: list[Region], *, persons: int | None = None, per_village: int | None = None):
    """Sizes: `per_village` each, or `persons` spread evenly (the first
    villages take the remainder)."""
    if not villages:
        return []
    if persons is not None:
        base, extra = divmod(persons, len(villages))
        sizes = [base + (i < extra) for i in range(len(villages))]
    else:
        sizes = [per_village or DEFAULT_PER_VILLAGE] * len(villages)
    return [
        VillageSpec(code=v.code, name=v.name, persons=n, urban=v.name.endswith("社区"))
        for v, n in zip(villages, sizes, strict=True)
        if n > 0
    ]


def flow_codes(villages: list[Region]) -> list[str]:
    """Villages people may live in or be registered in besides their own:
    every active village of the counties involved."""
    counties = sorted({v.code[:6] for v in villages})
    return [r.code for r in villages_under(counties)]
