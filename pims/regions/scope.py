"""The jurisdiction rule, in one place.

A user sees the subtree of their region. Region codes nest, so a subtree is a
code prefix, and every scoped query is an indexed prefix filter on a 12-digit
region-code column. Views never build their own region filter: they call
`scope_filter` (through an app's selectors) or `access_region`.
"""

from django.db.models import Q, QuerySet
from django.http import Http404


def user_prefix(user) -> str | None:
    """The code prefix of the user's jurisdiction, or None when the user may
    see no regional data at all (anonymous, inactive, no region)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    region = getattr(user, "region", None)
    if region is None:
        return None
    return region.prefix


def scope_q(user, field: str = "region_code") -> Q:
    """A Q object restricting `field` (a 12-digit code column) to the user's
    subtree; matches nothing for a user without a jurisdiction."""
    prefix = user_prefix(user)
    if prefix is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__startswith": prefix})


def scope_filter(qs: QuerySet, user, field: str = "region_code") -> QuerySet:
    return qs.filter(scope_q(user, field))


def code_in_scope(user, code: str | None) -> bool:
    prefix = user_prefix(user)
    return bool(prefix is not None and code and code.startswith(prefix))


def require_in_scope(user, code: str | None) -> None:
    """Raise 404 — never 403 — for a code outside the user's subtree, so that
    existence does not leak."""
    if not code_in_scope(user, code):
        raise Http404
