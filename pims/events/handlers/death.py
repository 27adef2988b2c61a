"""死亡: closes every open spell, ends the marriage (the spouse becomes
widowed, 30), ends an open contraception and, when the dead person headed a
household that keeps members, makes the named member the new head."""

from pims.registry.models import PersonStatus

from ..models import Spell
from . import base

LABEL = "死亡"
PERSON = "死者"
RELATED = None
HOUSEHOLD = None
FIELDS = [base.NEW_HEAD]
WIDOWED = "30"


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "死者")
    if person is None or not base.require_active(person, errors):
        return errors
    base.check_date(event, person, state, errors, "死亡日期")
    errors += base.head_leaving_errors(event, state, person.household, [person])
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    day = event.effective_date
    for spell in state.open_spells(person):
        state.close(person, spell.kind, end=day, event=event, reason=Spell.Closed.DEATH)
    marriage = state.marriage(person)
    if marriage is not None:
        spouse = state.spouse(person)
        state.end_marriage(marriage, date=day, reason="death")
        if spouse is not None:
            spouse.marital_status = WIDOWED
            base.refresh_codes(spouse, state)
    if state.contraception(person) is not None:
        state.end_contraception(person, date=day)
    person.status = PersonStatus.DEAD
    person.death_date = day
    state.mark("person", person)
    base.apply_leaving(event, state, person.household, [person])
