"""避孕开始: a woman with no current method starts one."""

from pims.registry.models import Contraception

from . import _woman, base
from .base import Field
from .catalogue import refuse

LABEL = "避孕开始"
PERSON = "育龄妇女"
RELATED = None
HOUSEHOLD = None
FIELDS = [Field("method", "节育措施", "code", table="contraceptive_method")]
NONE = "00"


def method_errors(event) -> list[str]:
    if (event.payload or {}).get("method") == NONE:
        return [refuse("E111")]
    return []


def validate(event, state) -> list[str]:
    errors = method_errors(event)
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is not None and (current := state.contraception(woman)) is not None:
        errors.append(refuse("E112", person=base.label(woman), start=current.start_date, method=current.method))
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.add_contraception(Contraception(woman=woman, method=event.payload["method"], start_date=event.effective_date))
