"""流入: someone comes to live here — a newcomer whose hukou is elsewhere
(created in the host household, with a resident spell only; looked after
where they live), or a registered person of the county who moves their
residence here (their resident spell moves)."""

import datetime as dt

from pims.registry.models import Household, PersonStatus

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "流入"
PERSON = "流入人员（本县在册人员时选择，否则填写下方个人信息）"
PERSON_OPTIONAL = True
RELATED = None
HOUSEHOLD = "居住户（流动人员所住的户或集体户）"
FIELDS = [
    *[Field(f.name, f.label, f.kind, False, f.table) for f in base.NEW_PERSON_FIELDS],
    Field("registered_code", "户籍地区划代码", "region", required=False, help="新流入人员必填"),
    Field("origin_code", "流出地区划代码", "region", required=False),
    Field("reason", "流动原因", "code", table="flow_reason"),
    Field("residence_code", "现居住地区划", "region", required=False, help="本县在册人员默认为本村"),
]
NEWCOMER_REQUIRED = ("name", "sex", "birth_date", "ethnicity", "marital_status", "hukou_type", "relationship")


def _residence(event, state, person):
    p = event.payload or {}
    if p.get("residence_code"):
        return p["residence_code"]
    host = state.household(event.household_id)
    return host.region_code if host is not None else event.region_code


def validate(event, state) -> list[str]:
    errors: list[str] = []
    p = event.payload or {}
    person = state.person(event.person_id)
    if event.person_id and person is None:
        return [refuse("E04", what="流入人员")]
    if person is not None:
        if not base.require_active(person, errors):
            return errors
        base.check_date(event, person, state, errors)
        here = state.open_spell(person, Spell.Kind.RESIDENT)
        if here is not None and here.region_code == _residence(event, state, person):
            errors.append(refuse("E121", person=base.label(person)))
        return errors
    missing = [f.label for f in base.NEW_PERSON_FIELDS if f.name in NEWCOMER_REQUIRED and not p.get(f.name)]
    if not p.get("registered_code"):
        missing.append("户籍地区划代码")
    if missing:
        errors.append(refuse("E122", missing="、".join(missing)))
    host = state.household(event.household_id)
    if host is None or host.status != Household.Status.ACTIVE:
        errors.append(refuse("E123"))
    return errors + base.new_person_errors(p, state, event.effective_date)


def apply(event, state) -> None:
    p = event.payload
    day = event.effective_date
    person = state.person(event.person_id)
    if person is None:
        host = state.household(event.household_id)
        region = host.region_code
        person = base.new_person(
            p,
            household=host,
            state=state,
            birth_date=dt.date.fromisoformat(p["birth_date"]),
            registered_code=p["registered_code"],
            residence_code=region,
            responsible_code=region,
        )
        state.open(
            person, Spell.Kind.RESIDENT, region=region, household=host, start=day, event=event, reason=Spell.Opened.MOVE
        )
        event.person = person
    else:
        region = _residence(event, state, person)
        state.transfer(person, Spell.Kind.RESIDENT, region=region, household=person.household, date=day, event=event)
        person.status = PersonStatus.ACTIVE
    person.residence_code = region
    base.refresh_codes(person, state)
