"""合户: every member of a household joins another household of the same
village; the merged household is dissolved (已撤销)."""

from pims.registry.models import Household

from . import base, hh_split
from .base import Field
from .catalogue import refuse

LABEL = "合户"
PERSON = None
RELATED = None
HOUSEHOLD = "被合并户"
FIELDS = [
    Field("target_household_id", "并入户", "household"),
    Field("members", "成员及其在并入户中与户主关系", "members"),
]


def validate(event, state) -> list[str]:
    errors: list[str] = []
    source = state.household(event.household_id)
    target = state.household(event.payload.get("target_household_id"))
    for h, what in ((source, "被合并户"), (target, "并入户")):
        if h is None or h.status != Household.Status.ACTIVE:
            errors.append(refuse("E137", what=what))
    if errors:
        return errors
    if source == target:
        return [refuse("E138")]
    if source.region_code != target.region_code:
        errors.append(refuse("E139"))
    moving = hh_split.movers(event, state, source, errors)
    listed = {id(p) for p, _ in moving}
    left_out = [p for p in state.members(source) if id(p) not in listed]
    if left_out:
        errors.append(refuse("E140", members="、".join(base.label(p) for p in left_out)))
    for person, _ in moving:
        base.check_date(event, person, state, errors)
    return errors


def apply(event, state) -> None:
    source = state.household(event.household_id)
    target = state.household(event.payload["target_household_id"])
    moving = hh_split.movers(event, state, source, [])
    for person, relationship in moving:
        base.move_to_household(
            person, target, event=event, state=state, relationship=relationship, move_residence=False
        )
    source.status = Household.Status.DISSOLVED
    state.mark("household", source)
