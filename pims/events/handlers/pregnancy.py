"""怀孕: opens a pregnancy for a woman of childbearing age who has none open."""

from pims.registry.models import Pregnancy

from . import _woman, base
from .catalogue import refuse

LABEL = "怀孕"
PERSON = "孕妇"
RELATED = None
HOUSEHOLD = None
FIELDS: list[base.Field] = []


def validate(event, state) -> list[str]:
    errors: list[str] = []
    woman = _woman.woman(event, state, errors)
    if woman is not None and (open_one := state.pregnancy(woman)) is not None:
        errors.append(refuse("E103", person=base.label(woman), start=open_one.start_date))
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.add_pregnancy(Pregnancy(woman=woman, start_date=event.effective_date))
