"""分户: some members of a household set up a new household in the same
village. Their spells move to the new household (same region: no move in
or out at any level); the original household gets a new head if its head
left."""

from pims.registry.models import Household

from . import base
from .base import Field
from .catalogue import refuse

LABEL = "分户"
PERSON = None
RELATED = None
HOUSEHOLD = "原户"
FIELDS = [
    Field("members", "分出成员及其在新户中与户主关系", "members"),
    Field("head_id", "新户户主", "person"),
    Field("new_household_number", "新户户编号"),
    Field("new_household_address", "新户住址"),
    base.NEW_HEAD,
]


def movers(event, state, household, errors: list[str]) -> list:
    out = []
    members = state.members(household)
    for item in (event.payload or {}).get("members") or []:
        person = state.person(item.get("person_id"))
        if person is None or person not in members:
            name = base.label(person) if person is not None else f"编号 {item.get('person_id')}"
            errors.append(refuse("E131", name=name))
        else:
            out.append((person, item.get("relationship", "")))
    if not out and not errors:
        errors.append(refuse("E132"))
    return out


def validate(event, state) -> list[str]:
    errors: list[str] = []
    household = state.household(event.household_id)
    if household is None or household.status != Household.Status.ACTIVE:
        return [refuse("E133")]
    moving = movers(event, state, household, errors)
    people = [p for p, _ in moving]
    if moving and len(people) == len(state.members(household)):
        errors.append(refuse("E134"))
    head = state.person(event.payload.get("head_id"))
    if head is None or head not in people:
        errors.append(refuse("E135"))
    number = (event.payload.get("new_household_number") or "").strip()
    if state.household_number_taken(household.region_code, number):
        errors.append(refuse("H04", value=number))
    for person in people:
        base.check_date(event, person, state, errors)
    errors += base.head_leaving_errors(event, state, household, people)
    return errors


def apply(event, state) -> None:
    household = state.household(event.household_id)
    moving = movers(event, state, household, [])
    new = base.new_household(
        state,
        village_code=household.region_code,
        number=event.payload["new_household_number"].strip(),
        address=event.payload["new_household_address"].strip(),
        event=event,
    )
    base.apply_leaving(event, state, household, [p for p, _ in moving])
    head = state.person(event.payload["head_id"])
    for person, relationship in moving:
        relationship = base.HEAD if person is head else relationship
        base.move_to_household(person, new, event=event, state=state, relationship=relationship, move_residence=False)
    new.head = head
