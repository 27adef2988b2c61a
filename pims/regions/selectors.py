from django.db.models import QuerySet
from django.http import Http404

from .models import Region
from .scope import scope_filter


def region_list_visible_to(*, user) -> QuerySet[Region]:
    return scope_filter(Region.objects.all(), user, field="code")


def region_children_visible_to(*, user, region: Region) -> QuerySet[Region]:
    return region_list_visible_to(user=user).filter(parent=region).order_by("code")


def access_region(user, code: str) -> Region:
    """The region with this code if the user may see it; 404 otherwise."""
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
