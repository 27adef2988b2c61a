"""离婚: ends the couple's current marriage; both become divorced (40) and
each is again the responsibility of their own registered location."""

from . import base
from .catalogue import refuse

LABEL = "离婚"
PERSON = "本人"
RELATED = "配偶"
HOUSEHOLD = None
FIELDS: list[base.Field] = []
DIVORCED = "40"


def validate(event, state) -> list[str]:
    errors: list[str] = []
    a = base.subject(event, state, errors, "本人")
    b = state.person(event.related_person_id)
    if b is None:
        errors.append(refuse("E81"))
    if a is None or b is None:
        return errors
    m = state.marriage(a)
    if m is None or m is not state.marriage(b):
        return [refuse("E91", a=base.label(a), b=base.label(b))]
    if m.date and event.effective_date < m.date:
        errors.append(refuse("E92", day=event.effective_date, married=m.date))
    for p in (a, b):
        base.require_active(p, errors)
    return errors


def apply(event, state) -> None:
    a, b = state.person(event.person_id), state.person(event.related_person_id)
    state.end_marriage(state.marriage(a), date=event.effective_date, reason="divorce")
    for p in (a, b):
        p.marital_status = DIVORCED
        base.refresh_codes(p, state)
