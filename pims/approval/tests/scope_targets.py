"""Township A's month for the outsider walk: its code is tried on every approval step."""

from pims.testing import scope_targets
from pims.testing.scope_targets import Sample


@scope_targets.register("code", routes=["approval:"])
def _townships(ctx):
    return [Sample(ctx.regions["township_a"].code)]


@scope_targets.register("period", routes=["approval:"])
def _periods(ctx):
    return [Sample("2027-02", scoped=False)]


@scope_targets.register("name", routes=["approval:"])
def _steps(ctx):
    return [Sample(step, scoped=False) for step in ("approve", "unapprove", "accept", "unaccept")]
