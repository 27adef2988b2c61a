"""避孕变更: the current method ends and another starts the same day."""

from pims.registry.models import Contraception

from . import _woman, base, contra_start
from .catalogue import refuse

LABEL = "避孕变更"
PERSON = "育龄妇女"
RELATED = None
HOUSEHOLD = None
FIELDS = contra_start.FIELDS


def validate(event, state) -> list[str]:
    errors = contra_start.method_errors(event)
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is None:
        return errors
    current = state.contraception(woman)
    if current is None:
        errors.append(refuse("E113", person=base.label(woman)))
    elif current.method == event.payload.get("method"):
        errors.append(refuse("E114", method=current.method))
    elif event.effective_date < current.start_date:
        errors.append(refuse("E115", day=event.effective_date, start=current.start_date))
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.end_contraception(woman, date=event.effective_date)
    state.add_contraception(Contraception(woman=woman, method=event.payload["method"], start_date=event.effective_date))
