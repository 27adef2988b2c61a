"""避孕终止: the current method ends."""

from . import _woman, base

LABEL = "避孕终止"
PERSON = "育龄妇女"
RELATED = None
HOUSEHOLD = None
FIELDS = []


def validate(event, state) -> list[str]:
    errors: list[str] = []
    woman = _woman.woman(event, state, errors, childbearing=False)
    if woman is None:
        return errors
    current = state.contraception(woman)
    if current is None:
        errors.append(f"{base.label(woman)}没有正在使用的节育措施（规则：只能终止现有措施）")
    elif event.effective_date < current.start_date:
        errors.append(f"终止日期 {event.effective_date} 早于措施的开始日期 {current.start_date}")
    return errors


def apply(event, state) -> None:
    state.end_contraception(state.person(event.person_id), date=event.effective_date)
