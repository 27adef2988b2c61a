"""注销: the hukou is cancelled (e.g. enlistment, settling abroad, double
registration). Closes the spells as a cancellation, which the balance
counts with the moves out (and shows as 其中注销)."""

from pims.registry.models import PersonStatus

from ..models import Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "注销"
PERSON = "注销人员"
RELATED = None
HOUSEHOLD = None
FIELDS = [Field("reason", "注销原因"), base.NEW_HEAD]


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "注销人员")
    if person is None or not base.require_active(person, errors):
        return errors
    if state.open_spell(person, Spell.Kind.REGISTERED) is None:
        errors.append(refuse("E71", person=base.label(person)))
        return errors
    base.check_date(event, person, state, errors, "注销日期")
    errors += base.head_leaving_errors(event, state, person.household, [person])
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    for spell in state.open_spells(person):
        state.close(person, spell.kind, end=event.effective_date, event=event, reason=Spell.Closed.CANCEL)
    person.status = PersonStatus.CANCELLED
    state.mark("person", person)
    base.apply_leaving(event, state, person.household, [person])
    spouse = state.spouse(person)
    if spouse is not None:
        base.refresh_codes(spouse, state)
