"""更正: corrects one recorded item of a person, with the value before and
after; it may point at the event whose data it corrects (`supersedes`).

Only descriptive items are corrected here. Where someone is registered or
lives, their status and their family ties change through the events that
describe what happened (moves, death, marriage …), so that every spell
stays explained; the ID number is corrected through the household form's
audited path, not through an event payload.
"""

import datetime as dt

from pims.codes.selectors import code_map

from . import base
from .base import Field, pinyin_fields

LABEL = "更正"
PERSON = "更正人员"
RELATED = None
HOUSEHOLD = None
CORRECTABLE = {
    "name": ("姓名", ""),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", ""),
    "ethnicity": ("民族", "ethnicity"),
    "education": ("文化程度", "education"),
    "occupation": ("职业", "occupation"),
    "hukou_type": ("户口类别", "household_registration_type"),
    "relationship": ("与户主关系", "family_relationship"),
}
FIELDS = [
    Field("field", "更正项目", "choice"),
    Field("before", "更正前", required=False),
    Field("after", "更正后"),
]
CHOICES = {"field": [(k, v[0]) for k, v in CORRECTABLE.items()]}


def clean(payload: dict) -> list[str]:
    """Shape of the new value, when the event is filed."""
    field = payload.get("field")
    if field not in CORRECTABLE:
        return [f"“{field}”不能通过更正事件修改（规则：户籍地、居住地、人员状态和婚姻须通过相应的变动事件变更）"]
    name, table = CORRECTABLE[field]
    after = (payload.get("after") or "").strip()
    if table and after not in code_map(table):
        return [f"更正后的{name}代码“{after}”不在代码表中"]
    if field == "birth_date":
        try:
            if dt.date.fromisoformat(after) > dt.date.today():
                return [f"更正后的出生日期 {after} 晚于今天"]
        except ValueError:
            return [f"更正后的出生日期“{after}”不是有效日期（格式 YYYY-MM-DD）"]
    if field == "name" and not after:
        return ["更正后的姓名不能为空"]
    return []


def _current(person, field) -> str:
    value = getattr(person, field)
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "更正人员")
    if person is None:
        return errors
    p = event.payload or {}
    field = p.get("field")
    if field not in CORRECTABLE:
        return clean(p)
    name = CORRECTABLE[field][0]
    if (p.get("before") or "") != _current(person, field):
        errors.append(
            f"{base.label(person)}的{name}登记值为“{_current(person, field)}”，与填写的更正前“{p.get('before')}”不符"
            "（规则：更正前的值须与登记值一致）"
        )
    if field == "birth_date":
        new = dt.date.fromisoformat(p["after"])
        started = [s.start for s in state.open_spells(person)]
        if started and new > min(started):
            errors.append(
                f"更正后的出生日期 {new} 晚于{base.label(person)}在册登记的开始日期 {min(started)}"
                "（规则：出生不能晚于在册登记）"
            )
    if field == "sex" and (state.marriage(person) or state.pregnancy(person) or state.contraception(person)):
        errors.append(f"{base.label(person)}有婚姻或生育记录，不能直接更正性别（规则：性别与家庭记录须一致）")
    return errors


def apply(event, state) -> None:
    person = state.person(event.person_id)
    field, after = event.payload["field"], event.payload["after"].strip()
    if field == "birth_date":
        person.birth_date = dt.date.fromisoformat(after)
    else:
        setattr(person, field, after)
    if field == "name":
        for key, value in pinyin_fields(after).items():
            setattr(person, key, value)
    state.mark("person", person)
