"""Checks shared by the women's-health events (pregnancy, contraception)."""

from . import base

CHILDBEARING = (15, 49)


def woman(event, state, errors: list[str], *, childbearing: bool = True):
    person = base.subject(event, state, errors, "育龄妇女")
    if person is None or not base.require_active(person, errors):
        return None
    if person.sex != "2":
        errors.append(f"{base.label(person)}的性别为男（规则：此变动只能登记给女性）")
        return None
    base.check_date(event, person, state, errors)
    age = base.age_on(person.birth_date, event.effective_date)
    low, high = CHILDBEARING
    if childbearing and not low <= age <= high:
        errors.append(f"{base.label(person)}当时 {age} 岁，不在育龄（{low}–{high} 岁）（规则：育龄妇女）")
    return person
