"""Who may give or touch an account with which access (issue 14.1).

Two rules, checked by every account service (pims.accounts.services) before
it writes, so that no page, command or API can skip them:

- no one creates, promotes, edits, resets or re-enables an account with more
  access than their own (roles.role_within);
- an account that reads personal data is created or touched only by a county
  administrator (Cap.GRANT_PERSONAL) whose subtree holds the account's region.

So the system administrator, who holds no personal-data capability, can
neither create a county administrator nor reset one's password or 2FA and
sign in as it. Privileged changes (roles.role_is_privileged) also wait for a
second person's approval (AccountApproval). Deactivating an account removes
access and stays open to every user manager in scope.

`actor=None` is the system itself (installation commands run on the server).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pims.lib.errors import NotPermitted
from pims.regions.models import Region
from pims.regions.scope import code_in_scope

from .models import User
from .roles import Cap, has_capability, role_reads_personal, role_within

ROLE_ABOVE_OWN = _("不能授予超出您本人权限的角色。")
PERSONAL_NEEDS_COUNTY = _("可查看个人信息的账户只能由其所在辖区的县管理员创建或变更。")


def grant_problem(actor: User | None, *, role: str, region: Region) -> str | None:
    """Why `actor` may not give an account `role` in `region`, or None."""
    if actor is None:
        return None
    if not role_within(role, actor.role):
        return str(ROLE_ABOVE_OWN)
    if role_reads_personal(role) and not (
        has_capability(actor, Cap.GRANT_PERSONAL) and code_in_scope(actor, region.code)
    ):
        return str(PERSONAL_NEEDS_COUNTY)
    return None


def check_may_grant(actor: User | None, *, role: str, region: Region) -> None:
    """Refuse (as a form error on the role) a role `actor` may not give."""
    problem = grant_problem(actor, role=role, region=region)
    if problem:
        raise ValidationError({"role": [problem]})


def may_manage(actor: User | None, user: User) -> bool:
    """True when `actor` may edit, reset or re-enable `user` as it is now."""
    return grant_problem(actor, role=user.role, region=user.region) is None


def check_may_manage(actor: User | None, user: User) -> None:
    """An account above the actor's access is not theirs to act on: 404, like
    an account outside their jurisdiction."""
    if not may_manage(actor, user):
        raise NotPermitted("account holds more access than the actor may give")
