"""县内迁移（机械变动）: the hukou moves to another household in the county —
an existing one or a new one set up by the move. The spells close in the old
region and open in the new one (a move out and a move in wherever the two
regions differ, nothing where both lie inside)."""

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "县内迁移（机械变动）"
PERSON = "迁移人员"
RELATED = None
HOUSEHOLD = "迁入户"
FIELDS = [
    Field("relationship", "在迁入户中与户主关系", "code", table="family_relationship"),
    Field("move_residence", "同时迁移居住地", "bool", required=False, help="默认是"),
    *base.NEW_HOUSEHOLD_FIELDS,
    base.NEW_HEAD,
]


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "迁移人员")
    if person is None or not base.require_active(person, errors):
        return errors
    if state.open_spell(person, Spell.Kind.REGISTERED) is None:
        errors.append(refuse("E61", person=base.label(person)))
        return errors
    base.check_date(event, person, state, errors, "迁移日期")
    target, target_errors = base.target_household_errors(event, state)
    errors += target_errors
    if target is not None and target == person.household:
        errors.append(refuse("E62", person=base.label(person)))
    errors += base.head_leaving_errors(event, state, person.household, [person])
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    old = person.household
    target = base.make_household(event, state)
    relationship = event.payload.get("relationship", "")
    if not target.pk and target.head is None:
        target.head = person
        relationship = base.HEAD
    base.apply_leaving(event, state, old, [person])
    base.move_to_household(
        person,
        target,
        event=event,
        state=state,
        relationship=relationship,
        move_residence=event.payload.get("move_residence", True) is not False,
    )
    event.household = target
