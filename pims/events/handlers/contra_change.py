"""避孕变更: the current method ends and another starts the same day."""

from pims.registry.models import Contraception

from . import _woman, base, contra_start

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
        errors.append(f"{base.label(woman)}没有正在使用的节育措施（规则：开始避孕请登记避孕开始）")
    elif current.method == event.payload.get("method"):
        errors.append(f"新措施与现有措施相同（代码 {current.method}）（规则：变更须换用另一种措施）")
    elif event.effective_date < current.start_date:
        errors.append(f"变更日期 {event.effective_date} 早于现有措施的开始日期 {current.start_date}")
    return errors


def apply(event, state) -> None:
    woman = state.person(event.person_id)
    state.end_contraception(woman, date=event.effective_date)
    state.add_contraception(Contraception(woman=woman, method=event.payload["method"], start_date=event.effective_date))
