from pims.testing import scope_targets
from pims.testing.scope_targets import Sample


@scope_targets.register("key", routes=["params:"])
def _parameter_keys(ctx):
    # Policy values are not township A's data; the outsider (a township
    # operator) simply has no access, so both a real and a missing key give 404.
    return [Sample("marriage.min_age.female", scoped=False)]
