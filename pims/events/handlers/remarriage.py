"""复婚/再婚: a marriage where at least one spouse was married before. With
the former spouse it is a reunion (复婚, 23) for both; otherwise the same
as a marriage (再婚 22 for the previously married spouse)."""

from . import base, marriage
from .catalogue import refuse

LABEL = "复婚/再婚"
PERSON = "本人"
RELATED = "配偶"
HOUSEHOLD = None
FIELDS = marriage.FIELDS


def validate(event, state) -> list[str]:
    errors: list[str] = []
    husband, wife = marriage.validate_marriage(event, state, errors)
    if husband is not None and husband.marital_status == "10" and wife.marital_status == "10":
        errors.append(refuse("E86", a=base.label(husband), b=base.label(wife)))
    return errors


def apply(event, state) -> None:
    errors: list[str] = []
    husband, wife = marriage.couple(event, state, errors)
    marriage.apply_marriage(event, state, reunion=state.were_married(husband, wife))
