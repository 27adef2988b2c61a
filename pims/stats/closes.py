"""Which months of a region are closed, and the closed cells to read.

A month is closed for a region when every county the region belongs to or
contains has a current (not reopened) close for it; a report over a closed
month reads the cells of those closes instead of the spells.
"""

from django.db.models import QuerySet

from pims.regions.models import LEVEL_DIGITS, Level, Region

from .models import MonthClose


def counties_of(region: Region) -> list[str]:
    """12-digit codes of the counties whose closes cover `region`."""
    digits = LEVEL_DIGITS[Level.COUNTY]
    if LEVEL_DIGITS[region.level] >= digits:
        return [region.code[:digits].ljust(12, "0")]
    return list(
        Region.objects.filter(level=Level.COUNTY, code__startswith=region.prefix, valid_to__isnull=True).values_list(
            "code", flat=True
        )
    )


def current_closes(region: Region, periods: list[str]) -> dict[str, list[int]]:
    """{period: [close ids]} for those of the periods that are closed for
    the whole region (every county in it). One query."""
    counties = counties_of(region)
    if not counties or not periods:
        return {}
    rows = MonthClose.objects.filter(
        region_code__in=counties, period__in=periods, reopened_at__isnull=True
    ).values_list("period", "region_code", "pk")
    found: dict[str, dict[str, int]] = {}
    for period, code, pk in rows:
        found.setdefault(period, {})[code] = pk
    return {p: list(ids.values()) for p, ids in found.items() if len(ids) == len(counties)}


def close_list_visible_to(*, user) -> QuerySet[MonthClose]:
    from pims.regions.scope import scope_q

    return MonthClose.objects.filter(scope_q(user, "region_code")).select_related("region", "closed_by", "reopened_by")
