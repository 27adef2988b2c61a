from datetime import date

from ninja import Router, Schema

from pims.accounts.requests import ApiRequest

from .models import Region
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
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent else None


@router.get("/{code}", response=RegionOut)
def region_get(request: ApiRequest, code: str) -> Region:
    return access_region(request.auth, code)


@router.get("/{code}/children", response=list[RegionOut])
def region_children(request: ApiRequest, code: str) -> list[Region]:
    region = access_region(request.auth, code)
    return list(region_children_visible_to(user=request.auth, region=region).select_related("parent"))
