"""离婚: ends the couple's current marriage; both become divorced (40) and
each is again the responsibility of their own registered location."""

from . import base

LABEL = "离婚"
PERSON = "本人"
RELATED = "配偶"
HOUSEHOLD = None
FIELDS = []
DIVORCED = "40"


def validate(event, state) -> list[str]:
    errors: list[str] = []
    a = base.subject(event, state, errors, "本人")
    b = state.person(event.related_person_id)
    if b is None:
        errors.append("配偶不存在（规则：婚姻双方须为在册人员）")
    if a is None or b is None:
        return errors
    m = state.marriage(a)
    if m is None or m is not state.marriage(b):
        return [f"{base.label(a)}与{base.label(b)}之间没有有效的婚姻记录（规则：只能为现有婚姻登记离婚）"]
    if m.date and event.effective_date < m.date:
        errors.append(f"离婚日期 {event.effective_date} 早于结婚日期 {m.date}（规则：离婚不能早于结婚）")
    for p in (a, b):
        base.require_active(p, errors)
    return errors


def apply(event, state) -> None:
    a, b = state.person(event.person_id), state.person(event.related_person_id)
    state.end_marriage(state.marriage(a), date=event.effective_date, reason="divorce")
    for p in (a, b):
        p.marital_status = DIVORCED
        base.refresh_codes(p, state)
