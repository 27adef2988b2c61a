"""Checks shared by the women's-health events (pregnancy, contraception)."""

from pims.lib.dates import age_on
from pims.params.policy import childbearing_ages

from . import base
from .catalogue import refuse


def woman(event, state, errors: list[str], *, childbearing: bool = True):
    person = base.subject(event, state, errors, "育龄妇女")
    if person is None or not base.require_active(person, errors):
        return None
    if person.sex != "2":
        errors.append(refuse("E101", person=base.label(person)))
        return None
    base.check_date(event, person, state, errors)
    age = age_on(person.birth_date, event.effective_date)
    low, high = childbearing_ages(event.effective_date)
    if childbearing and not low <= age <= high:
        errors.append(refuse("E102", person=base.label(person), age=age, low=low, high=high))
    return person
