from datetime import date

from ninja import Router, Schema

from .selectors import access_region, region_children_visible_to

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


@router.get("/{code}", response=RegionOut)
def region_get(request, code: str):
    return access_region(request.auth, code)


@router.get("/{code}/children", response=list[RegionOut])
def region_children(request, code: str):
    region = access_region(request.auth, code)
    return list(region_children_visible_to(user=request.auth, region=region).select_related("parent"))
