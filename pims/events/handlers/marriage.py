"""结婚: records the marriage and both spouses' marital status (初婚 21, or
再婚 22 for a widowed or divorced spouse), may move the wife into the
husband's household, and recomputes the couple's responsible region by the
seed rule (registered apart → the wife's registered location)."""

from pims.lib.dates import age_on
from pims.registry.checks import limits
from pims.registry.models import Marriage

from . import base
from .base import Field
from .catalogue import refuse

LABEL = "结婚"
PERSON = "本人"
RELATED = "配偶"
HOUSEHOLD = None
FIELDS = [
    Field("move_wife", "女方迁入男方户", "bool", required=False),
    Field(
        "relationship",
        "女方在男方户中与户主关系",
        "code",
        required=False,
        table="family_relationship",
        help="女方迁入男方户时填写；男方为户主时默认为配偶",
    ),
    base.NEW_HEAD,
]
FIRST, REMARRIED, REUNITED = "21", "22", "23"
SPOUSE = "10"


def marriage_age(person, day):
    """R01/R02 for one spouse of a marriage on `day` (limits.marriage_age)."""
    age = age_on(person.birth_date, day)
    return limits.marriage_age(name=person.name, sex=person.sex, age=age, on=day)


def couple(event, state, errors: list[str]):
    a = base.subject(event, state, errors, "本人")
    b = state.person(event.related_person_id)
    if b is None:
        errors.append(refuse("E81"))
    if a is None or b is None:
        return None, None
    if a.sex == b.sex:
        errors.append(refuse("E82", a=base.label(a), b=base.label(b)))
        return None, None
    return (a, b) if a.sex == "1" else (b, a)


def validate_marriage(event, state, errors: list[str]):
    husband, wife = couple(event, state, errors)
    if husband is None:
        return None, None
    for person in (husband, wife):
        if not base.require_active(person, errors):
            continue
        base.check_date(event, person, state, errors, "结婚日期")
        if person.marital_status in base.MARRIED or state.marriage(person) is not None:
            errors.append(refuse("E83", person=base.label(person)))
        if found := marriage_age(person, event.effective_date):
            errors.append(found)
    if event.payload.get("move_wife") and wife.household != husband.household:
        if husband.household.status != "active":
            errors.append(refuse("E84"))
        if not event.payload.get("relationship") and not base.is_head(husband.household, husband):
            errors.append(refuse("E85"))
        errors += base.head_leaving_errors(event, state, wife.household, [wife])
    return husband, wife


def validate(event, state) -> list[str]:
    errors: list[str] = []
    validate_marriage(event, state, errors)
    return errors


def apply_marriage(event, state, *, reunion: bool) -> None:
    errors: list[str] = []
    husband, wife = couple(event, state, errors)
    previously = [(p, p.marital_status) for p in (husband, wife)]
    first = all(before == "10" for _, before in previously)
    state.add_marriage(
        husband, wife, date=event.effective_date, kind=Marriage.Kind.FIRST if first else Marriage.Kind.REMARRIAGE
    )
    for p, before in previously:
        p.marital_status = REUNITED if reunion else (FIRST if before == "10" else REMARRIED)
        state.mark("person", p)
    if event.payload.get("move_wife") and wife.household != husband.household:
        relationship = event.payload.get("relationship") or SPOUSE
        base.apply_leaving(event, state, wife.household, [wife])
        base.move_to_household(wife, husband.household, event=event, state=state, relationship=relationship)
    base.refresh_codes(husband, state)


def apply(event, state) -> None:
    apply_marriage(event, state, reunion=False)
