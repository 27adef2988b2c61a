from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from pims.lib.text import is_ascii_digits

from .models import Region, RegionHistory
from .scope import scope_filter

if TYPE_CHECKING:
    from pims.accounts.requests import AnyUser


def region_list_visible_to(*, user: AnyUser | None) -> QuerySet[Region]:
    return scope_filter(Region.objects.all(), user, field="code")


def region_children_visible_to(*, user: AnyUser | None, region: Region) -> QuerySet[Region]:
    return region_list_visible_to(user=user).filter(parent=region).order_by("code")


def region_children_with_counts(*, user: AnyUser | None, region: Region) -> QuerySet[Region]:
    """Visible children, each annotated with `active_children` and `all_children`."""
    return region_children_visible_to(user=user, region=region).annotate(
        all_children=Count("children"),
        active_children=Count("children", filter=Q(children__valid_to__isnull=True)),
    )


def region_history(region: Region) -> QuerySet[RegionHistory]:
    return region.history.order_by("-effective", "-recorded_at", "-id")


def access_region(user: AnyUser | None, code: str) -> Region:
    """The region with this code if the user may see it; 404 otherwise
    (also for text that cannot be a region code at all)."""
    if not is_ascii_digits(code or "") or len(code) > 12:
        raise Http404
    try:
        return region_list_visible_to(user=user).select_related("parent").get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None


def region_ancestors(region: Region) -> list[Region]:
    chain = []
    node = region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def split_households(village: Region) -> list[tuple[int, str]]:
    """(id, 户号) of the village's households, for a split's assignment —
    numbers only: the system administrator sees no personal data."""
    from pims.registry.models import Household

    return list(Household.objects.filter(village=village).order_by("number").values_list("pk", "number"))
