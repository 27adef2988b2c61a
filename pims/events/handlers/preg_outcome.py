"""妊娠结局: ends the open pregnancy with an outcome other than a live birth
(a live birth is a birth event, which ends the pregnancy itself)."""

from . import _woman, base
from .base import Field

LABEL = "妊娠结局"
PERSON = "孕妇"
RELATED = None
HOUSEHOLD = None
FIELDS = [Field("outcome", "妊娠结局", "code", table="pregnancy_outcome")]
LIVE_BIRTH, ONGOING = "1", "6"


def validate(event, state) -> list[str]:
    errors: list[str] = []
    outcome = (event.payload or {}).get("outcome")
    if outcome == LIVE_BIRTH:
        return ["妊娠结局为活产时请登记出生事件（出生事件会同时结束怀孕记录）"]
    if outcome == ONGOING:
        return ["妊娠结局“妊娠中”不是结局（规则：须登记已发生的结局）"]
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is None:
        return errors
    pregnancy = state.pregnancy(woman)
    if pregnancy is None:
        errors.append(f"{base.label(woman)}没有尚未结束的怀孕记录（规则：须先登记怀孕）")
    elif event.effective_date < pregnancy.start_date:
        errors.append(f"结局日期 {event.effective_date} 早于怀孕日期 {pregnancy.start_date}")
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.end_pregnancy(woman, outcome=event.payload["outcome"], date=event.effective_date)
