"""避孕终止: the current method ends."""

from . import _woman, base
from .catalogue import refuse

LABEL = "避孕终止"
PERSON = "育龄妇女"
RELATED = None
HOUSEHOLD = None
FIELDS: list[base.Field] = []


def validate(event, state) -> list[str]:
    errors: list[str] = []
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is None:
        return errors
    current = state.contraception(woman)
    if current is None:
        errors.append(refuse("E116", person=base.label(woman)))
    elif event.effective_date < current.start_date:
        errors.append(refuse("E117", day=event.effective_date, start=current.start_date))
    return errors


def apply(event, state) -> None:
    state.end_contraception(state.person(event.person_id), date=event.effective_date)
