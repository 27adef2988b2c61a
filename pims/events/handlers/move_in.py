"""迁入: a hukou arrives from outside the register — a newcomer (created
from the payload) or a former resident moving back (the chosen person). It
joins an existing household or sets up a new one; its registered and
resident spells open as moves in from outside."""

from pims.registry.models import PersonStatus

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "迁入"
PERSON = "回迁人员（已在册时选择，否则填写下方个人信息）"
PERSON_OPTIONAL = True
RELATED = None
HOUSEHOLD = "迁入户"
FIELDS = [
    *[Field(f.name, f.label, f.kind, False, f.table) for f in base.NEW_PERSON_FIELDS],
    Field("origin_code", "迁出地区划代码", "region", required=False),
    Field("origin", "迁出地", required=False),
    *base.NEW_HOUSEHOLD_FIELDS,
]
NEWCOMER_REQUIRED = ("name", "sex", "birth_date", "ethnicity", "marital_status", "hukou_type", "relationship")


def validate(event, state) -> list[str]:
    errors: list[str] = []
    p = event.payload or {}
    person = state.person(event.person_id)
    if event.person_id and person is None:
        return [refuse("E04", what="回迁人员")]
    if person is not None:
        if person.status == PersonStatus.DEAD:
            errors.append(refuse("E42", person=base.label(person)))
        elif state.open_spell(person, Spell.Kind.REGISTERED) is not None:
            errors.append(refuse("E43", person=base.label(person)))
        else:
            base.check_date(event, person, state, errors, "迁入日期")
    else:
        missing = [f.label for f in base.NEW_PERSON_FIELDS if f.name in NEWCOMER_REQUIRED and not p.get(f.name)]
        if missing:
            errors.append(refuse("E44", missing="、".join(missing)))
        errors += base.new_person_errors(p, state, event.effective_date)
    _, household_errors = base.target_household_errors(event, state)
    return errors + household_errors


def apply(event, state) -> None:
    p = event.payload
    household = base.make_household(event, state)
    day = event.effective_date
    region = household.region_code
    person = state.person(event.person_id)
    relationship = p.get("relationship") or (person.relationship if person else "")
    if person is None:
        person = base.new_person(
            p,
            household=household,
            state=state,
            birth_date=_date(p["birth_date"]),
            registered_code=region,
            residence_code=region,
            responsible_code=region,
        )
    else:
        state.set_household(person, household, relationship)
        person.status = PersonStatus.ACTIVE
        person.registered_code = region
    if not household.pk and household.head is None:
        household.head = person
        person.relationship = base.HEAD
    state.open(
        person,
        Spell.Kind.REGISTERED,
        region=region,
        household=household,
        start=day,
        event=event,
        reason=Spell.Opened.MOVE,
    )
    state.transfer(person, Spell.Kind.RESIDENT, region=region, household=household, date=day, event=event)
    person.residence_code = region
    base.refresh_codes(person, state)
    event.person = person
    event.household = household


def _date(text):
    import datetime as dt

    return dt.date.fromisoformat(text)
