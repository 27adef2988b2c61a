"""What the outsider walk tries on the stats URLs: every report and export
format (reference values, not township A's data) together with township A's
region codes (registered by the foundation under "code"), and a month close
of the county (which the outsider, a township operator, may not touch)."""

import datetime as dt

from pims.testing import scope_targets
from pims.testing.scope_targets import Sample


@scope_targets.register("report", routes=["stats:", "api:stats_"])
def _reports(ctx):
    from pims.stats.reports import REPORTS

    return [Sample(key, scoped=False, label="report") for key in REPORTS]


@scope_targets.register("fmt", routes=["stats:"])
def _formats(ctx):
    from pims.stats.exports import FORMATS

    return [Sample(fmt, scoped=False, label="format") for fmt in FORMATS]


@scope_targets.register("pk", routes=["stats:close_"])
def _closes(ctx):
    from pims.stats.models import MonthClose

    def make():
        return MonthClose.objects.create(
            region=ctx.regions["county"],
            region_code=ctx.regions["county"].code,
            period="2020-01",
            closed_by=ctx.personas["county"],
            closed_at=dt.datetime(2020, 2, 1, tzinfo=dt.UTC),
        )

    close = ctx.once("stats_close", make)
    return [close.pk]
