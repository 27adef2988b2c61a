"""合户: every member of a household joins another household of the same
village; the merged household is dissolved (已撤销)."""

from pims.registry.models import Household

from . import base, hh_split
from .base import Field

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
            errors.append(f"{what}不存在或已撤销（规则：只能合并现有户）")
    if errors:
        return errors
    if source == target:
        return ["被合并户与并入户相同（规则：合户须为两个不同的户）"]
    if source.region_code != target.region_code:
        errors.append("两户不在同一村（规则：跨村合户请登记县内迁移）")
    moving = hh_split.movers(event, state, source, errors)
    listed = {id(p) for p, _ in moving}
    left_out = [p for p in state.members(source) if id(p) not in listed]
    if left_out:
        errors.append(
            "被合并户的成员" + "、".join(base.label(p) for p in left_out) + "未列出（规则：合户须并入全部成员）"
        )
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
