"""The jurisdiction rule, in one place.

A user sees the subtree of their region. Region codes nest, so a subtree is a
code prefix, and every scoped query is an indexed prefix filter on a 12-digit
region-code column. Views never build their own region filter: they call
`scope_filter` (through an app's selectors) or `access_region`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from pims.accounts.requests import AnyUser

_M = TypeVar("_M", bound=Model)


def user_prefix(user: AnyUser | None) -> str | None:
    """The code prefix of the user's jurisdiction, or None when the user may
    see no regional data at all (nobody, anonymous, inactive, no region)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_active or user.region_id is None:
        return None
    return user.region.prefix


def scope_q(user: AnyUser | None, field: str = "region_code") -> Q:
    """A Q object restricting `field` (a 12-digit code column) to the user's
    subtree; matches nothing for a user without a jurisdiction."""
    prefix = user_prefix(user)
    if prefix is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__startswith": prefix})


def scope_filter(qs: QuerySet[_M], user: AnyUser | None, field: str = "region_code") -> QuerySet[_M]:
    return qs.filter(scope_q(user, field))


def code_in_scope(user: AnyUser | None, code: str | None) -> bool:
    prefix = user_prefix(user)
    return bool(prefix is not None and code and code.startswith(prefix))


def require_in_scope(user: AnyUser | None, code: str | None) -> None:
    """Raise 404 — never 403 — for a code outside the user's subtree, so that
    existence does not leak."""
    if not code_in_scope(user, code):
        raise Http404
