"""A pending four-eyes request on a township A account, for the outsider walk:
its id is tried on the approval pages (issue 14.1)."""

from pims.testing import scope_targets
from pims.testing.scope_targets import Sample


def _pending(ctx):
    from pims.accounts.models import AccountApproval
    from pims.accounts.roles import Role
    from pims.accounts.services import user_create

    made = user_create(
        actor=ctx.personas["county"],
        username="pending_clerk_a2",
        password="Kp7-wq2m-Vt9x",
        role=Role.VILLAGE_CLERK,
        region=ctx.regions["village_a2"],
    )
    ctx.plant(made.username)
    return AccountApproval.objects.get(user=made)


@scope_targets.register("pk", routes=["accounts:approval_"])
def _approvals(ctx):
    approval = ctx.once("accounts.pending_approval", lambda: _pending(ctx))
    return [Sample(str(approval.pk), label="account approval")]
