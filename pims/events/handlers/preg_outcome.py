"""妊娠结局: ends the open pregnancy with an outcome other than a live birth
(a live birth is a birth event, which ends the pregnancy itself)."""

from pims.registry.personal import outcome_from_payload

from . import _woman, base
from .base import Field
from .catalogue import refuse

LABEL = "妊娠结局"
PERSON = "孕妇"
RELATED = None
HOUSEHOLD = None
FIELDS = [Field("outcome", "妊娠结局", "code", table="pregnancy_outcome")]
LIVE_BIRTH, ONGOING = "1", "6"


def validate(event, state) -> list[str]:
    errors: list[str] = []
    outcome = outcome_from_payload(event.payload)
    if outcome == LIVE_BIRTH:
        return [refuse("E104")]
    if outcome == ONGOING:
        return [refuse("E105")]
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is None:
        return errors
    pregnancy = state.pregnancy(woman)
    if pregnancy is None:
        errors.append(refuse("E106", person=base.label(woman)))
    elif event.effective_date < pregnancy.start_date:
        errors.append(refuse("E107", day=event.effective_date, start=pregnancy.start_date))
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.end_pregnancy(woman, outcome=outcome_from_payload(event.payload), date=event.effective_date)
