"""流出: someone stops living here. To a village of the register the resident
spell moves there; elsewhere it closes. A migrant whose hukou is not in the
register then leaves the register (status 迁出); a registered person stays,
now 户在人不在."""

from pims.registry.models import PersonStatus

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "流出"
PERSON = "流出人员"
RELATED = None
HOUSEHOLD = None
FIELDS = [
    Field("destination_code", "流入地区划代码", "region", help="外省市可填到县级，后 6 位补 0"),
    Field("destination", "流入地", required=False),
    Field("reason", "流动原因", "code", table="flow_reason"),
    base.NEW_HEAD,
]


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "流出人员")
    if person is None or not base.require_active(person, errors):
        return errors
    here = state.open_spell(person, Spell.Kind.RESIDENT)
    if here is None:
        errors.append(refuse("E124", person=base.label(person)))
        return errors
    base.check_date(event, person, state, errors)
    if here.region_code == event.payload.get("destination_code"):
        errors.append(refuse("E125", person=base.label(person)))
    if state.open_spell(person, Spell.Kind.REGISTERED) is None:
        errors += base.head_leaving_errors(event, state, person.household, [person])
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    destination = event.payload["destination_code"]
    day = event.effective_date
    if state.village(destination) is not None:
        state.transfer(
            person, Spell.Kind.RESIDENT, region=destination, household=person.household, date=day, event=event
        )
    else:
        state.close(person, Spell.Kind.RESIDENT, end=day, event=event, reason=Spell.Closed.MOVE)
    person.residence_code = destination
    if (
        state.open_spell(person, Spell.Kind.REGISTERED) is None
        and state.open_spell(person, Spell.Kind.RESIDENT) is None
    ):
        person.status = PersonStatus.MOVED_OUT
        state.mark("person", person)
        base.apply_leaving(event, state, person.household, [person])
    base.refresh_codes(person, state)
