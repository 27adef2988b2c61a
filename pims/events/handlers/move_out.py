"""迁出: the hukou leaves the register (to another county). Closes the
registered and resident spells; the person's status becomes 迁出."""

from pims.registry.models import PersonStatus

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "迁出"
PERSON = "迁出人员"
RELATED = None
HOUSEHOLD = None
FIELDS = [
    Field("destination_code", "迁往地区划代码", "region", required=False),
    Field("destination", "迁往地", required=False),
    Field("reason", "迁出原因", required=False),
    base.NEW_HEAD,
]


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "迁出人员")
    if person is None or not base.require_active(person, errors):
        return errors
    if not base.registered_with_household(person, state):
        errors.append(refuse("E51", person=base.label(person)))
        return errors
    base.check_date(event, person, state, errors, "迁出日期")
    errors += base.head_leaving_errors(event, state, person.household, [person])
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    for spell in state.open_spells(person):
        state.close(person, spell.kind, end=event.effective_date, event=event, reason=Spell.Closed.MOVE)
    destination = (event.payload or {}).get("destination_code")
    if destination:
        person.residence_code = destination
    person.status = PersonStatus.MOVED_OUT
    state.mark("person", person)
    base.apply_leaving(event, state, person.household, [person])
    spouse = state.spouse(person)
    if spouse is not None:
        base.refresh_codes(spouse, state)
