"""Reads of the bundles. A county administrator sees his county's bundles;
the province viewer sees every county's at the province (upload status)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Level, Region
from pims.regions.scope import scope_q, user_prefix

from .models import Bundle, BundleState, Direction


def bundle_list_visible_to(*, user) -> QuerySet[Bundle]:
    if not has_capability(user, Cap.VIEW_BUNDLES) or user_prefix(user) is None:
        return Bundle.objects.none()
    return Bundle.objects.filter(scope_q(user, "county_code"))


@dataclass
class CountyStatus:
    county: Region
    last: Bundle | None
    waiting: list[Bundle]
    refused: Bundle | None


def upload_status(user) -> list[CountyStatus]:
    """Per county of the user's subtree: the last applied bundle, what waits, the last refusal."""
    visible = bundle_list_visible_to(user=user).filter(direction=Direction.IN)
    counties = Region.objects.filter(scope_q(user, "code"), level=Level.COUNTY, valid_to__isnull=True).order_by("code")
    by_county: dict[str, list[Bundle]] = {}
    for b in visible.order_by("-sequence", "-created_at"):
        by_county.setdefault(b.county_code, []).append(b)
    out = []
    for county in counties:
        mine = by_county.get(county.code, [])
        applied = [b for b in mine if b.state == BundleState.APPLIED]
        refused = [b for b in mine if b.state == BundleState.REFUSED]
        out.append(
            CountyStatus(
                county=county,
                last=applied[0] if applied else None,
                waiting=[b for b in mine if b.state == BundleState.WAITING],
                refused=refused[0] if refused else None,
            )
        )
    return out


def user_county(user) -> Region | None:
    region = getattr(user, "region", None)
    return region if region is not None and region.level == Level.COUNTY else None
