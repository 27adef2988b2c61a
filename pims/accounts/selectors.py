"""Reads on user accounts. Only a user holding Cap.MANAGE_USERS sees other
accounts, and only those whose region lies in their own subtree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.regions.models import Region
from pims.regions.scope import scope_q
from pims.regions.selectors import region_list_visible_to

from .models import AccountApproval, User
from .privilege import may_manage
from .roles import Cap, has_capability

if TYPE_CHECKING:
    from .requests import AnyUser


def user_list_visible_to(*, user: AnyUser | None) -> QuerySet[User]:
    if not has_capability(user, Cap.MANAGE_USERS):
        return User.objects.none()
    return User.objects.filter(scope_q(user, "region__code")).select_related("region").order_by("username")


def access_user(user: AnyUser | None, pk: int | str, *, for_write: bool = False) -> User:
    """The account `pk` if `user` may manage it; 404 for missing, out of scope
    or a caller without the capability alike. `for_write`: also 404 for an
    account holding more access than `user` may give (pims.accounts.privilege)
    — the pages that edit or reset it do not open."""
    try:
        target = user_list_visible_to(user=user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_write and not (isinstance(user, User) and may_manage(user, target)):
        raise Http404
    return target


def approval_list_visible_to(*, user: AnyUser | None) -> QuerySet[AccountApproval]:
    """Pending four-eyes requests on the accounts `user` may see."""
    if not has_capability(user, Cap.MANAGE_USERS):
        return AccountApproval.objects.none()
    return (
        AccountApproval.objects.filter(scope_q(user, "user__region__code"), state=AccountApproval.State.PENDING)
        .select_related("user", "user__region", "region", "requested_by")
        .order_by("requested_at")
    )


def access_approval(user: AnyUser | None, pk: int | str) -> AccountApproval:
    try:
        return approval_list_visible_to(user=user).get(pk=pk)
    except (AccountApproval.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def approval_pending_for(target: User) -> AccountApproval | None:
    return (
        AccountApproval.objects.filter(user=target, state=AccountApproval.State.PENDING)
        .select_related("region", "requested_by")
        .first()
    )


def assignable_regions_for(*, user: AnyUser | None) -> QuerySet[Region]:
    """Regions `user` may place accounts in: active regions of their subtree."""
    if not has_capability(user, Cap.MANAGE_USERS):
        return Region.objects.none()
    return region_list_visible_to(user=user).filter(valid_to__isnull=True).order_by("code")


def user_is_locked_out(user: User) -> bool:
    """True while axes holds enough recent failures for this username."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    limit: int = settings.AXES_FAILURE_LIMIT
    attempts = AccessAttempt.objects.filter(username=user.username, attempt_time__gte=threshold)
    return any(a.failures_since_start >= limit for a in attempts)


def user_has_2fa(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())
