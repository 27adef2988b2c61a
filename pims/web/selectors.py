from django.db.models import Count

from pims.regions.models import Region
from pims.regions.selectors import region_list_visible_to

# Apps that own registers add a callable(user) -> list[(label, value)] here so
# that the dashboard shows their counts without the web app importing them.
DASHBOARD_COUNTERS: list = []
# Likewise callable(user) -> list of panels (a chart, its table, its report
# page; see pims.stats.dashboard.Panel) for the dashboard's charts.
DASHBOARD_PANELS: list = []


def dashboard_panels(*, user) -> list:
    panels = []
    for source in DASHBOARD_PANELS:
        panels.extend(source(user))
    return panels


def dashboard_figures(*, user) -> dict:
    regions = region_list_visible_to(user=user).exclude(pk=user.region_id)
    by_level = dict(regions.filter(valid_to__isnull=True).values_list("level").annotate(n=Count("id")))
    level_counts = [
        (label, by_level.get(level, 0))
        for level, label in Region._meta.get_field("level").choices or ()
        if by_level.get(level)
    ]
    counters = []
    for counter in DASHBOARD_COUNTERS:
        counters.extend(counter(user))
    return {"region": user.region, "level_counts": level_counts, "counters": counters}
