import datetime as dt

from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id

# Forms in tests were collected a few weeks before the (pinned) today: the
# previous month or earlier, whatever day the run is pinned to.
COLLECTED_ON = clock.today() - dt.timedelta(days=40)


def born_aged(years: int, on: dt.date) -> dt.date:
    """A birth date at which a person is `years` old on `on` — and stays so for
    the next eleven months (the birthday was a month earlier)."""
    try:
        anniversary = on.replace(year=on.year - years)
    except ValueError:  # 29 February
        anniversary = on.replace(year=on.year - years, day=28)
    return anniversary - dt.timedelta(days=30)


FIXED_BIRTHS = {"head": "1985-06-15", "wife": "1988-04-02", "son": "2012-03-08", "daughter": "2015-09-20"}


def family_births(as_of: dt.date) -> dict[str, str]:
    """Birth dates of the family aged 41, 38, 14 and 11 on `as_of`, for tests
    whose figures depend on ages (age groups of a report)."""
    ages = {"head": 41, "wife": 38, "son": 14, "daughter": 11}
    return {k: born_aged(age, as_of).isoformat() for k, age in ages.items()}


def family_form(village_code: str, *, number="0001", mother_birth=None, head_id=None, spouse_id=None, births=None):
    """A household of four as a clerk types it: head, wife, two children.
    `births` (see `family_births`) replaces the fixed birth dates."""
    births = {**FIXED_BIRTHS, **(births or {})}
    if mother_birth:
        births["wife"] = mother_birth
    head_birth, wife_birth = dt.date.fromisoformat(births["head"]), dt.date.fromisoformat(births["wife"])
    married, contraception = "2010-05-01", "2016-01-01"
    if births != FIXED_BIRTHS:  # the wedding at 22, the IUD after the second child
        married = wife_birth.replace(year=wife_birth.year + 22, day=min(wife_birth.day, 28)).isoformat()
        contraception = (dt.date.fromisoformat(births["daughter"]) + dt.timedelta(days=100)).isoformat()
    data = {
        "number": number,
        "hh_type": "1",
        "address": "大孤家子村一组 12 号",
        "form_number": "F-0001",
        "volume_number": "V-01",
        "collected_on": COLLECTED_ON.isoformat(),
    }
    base = {"ethnicity": "01", "hukou_type": "2", "education": "", "occupation": "", "residence_status": "1"}
    members = [
        {
            **base,
            "row": 1,
            "name": "张三",
            "sex": "1",
            "birth_date": head_birth.isoformat(),
            "relationship": "02",
            "marital_status": "21",
            "spouse_row": "2",
            "marriage_date": married,
            "citizen_id": head_id or make_citizen_id("210124", head_birth, 11, "1"),
        },
        {
            **base,
            "row": 2,
            "name": "李四",
            "sex": "2",
            "birth_date": wife_birth.isoformat(),
            "relationship": "10",
            "marital_status": "21",
            "spouse_row": "1",
            "marriage_date": married,
            "contraceptive_method": "03",
            "contraception_start": contraception,
            "citizen_id": spouse_id or make_citizen_id("210124", wife_birth, 22, "2"),
        },
        {
            **base,
            "row": 3,
            "name": "张小明",
            "sex": "1",
            "birth_date": births["son"],
            "relationship": "20",
            "marital_status": "10",
            "mother_row": "2",
            "father_row": "1",
            "birth_order": "1",
            "no_id_reason": "1",
        },
        {
            **base,
            "row": 4,
            "name": "张小红",
            "sex": "2",
            "birth_date": births["daughter"],
            "relationship": "30",
            "marital_status": "10",
            "mother_row": "2",
            "father_row": "1",
            "birth_order": "2",
            "no_id_reason": "1",
        },
    ]
    return data, members
