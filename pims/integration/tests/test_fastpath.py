"""The import's fast path for the input rules never waves through a row the
form's rules would say anything about, and cleans it exactly as they do."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pims.integration.fastpath import quick_member
from pims.lib import citizen_id as cid
from pims.lib.citizen_id import make_citizen_id
from pims.registry.checks.input_rules import CodeBook, validate_household_input

MAN = make_citizen_id("210124", dt.date(1980, 5, 6), 11, "1")
WOMAN = make_citizen_id("210124", dt.date(1980, 5, 6), 12, "2")
GOOD_DATA = {"number": "0012", "hh_type": "1", "address": "辽宁省法库县某村 3 号", "collected_on": ""}
GOOD_MEMBER = {
    "name": "张三",
    "sex": "1",
    "birth_date": "1980-05-06",
    "citizen_id": MAN,
    "no_id_reason": "",
    "ethnicity": "01",
    "education": "",
    "occupation": "",
    "marital_status": "20",
    "relationship": "02",
    "hukou_type": "1",
    "residence_status": "1",
    "phone": "13812345678",
}
# Values each rule has an opinion about, good and bad.
MEMBER_VALUES = {
    "name": ["", "张 三", "Zhang3", "李" * 51, "王\x07五", "欧阳·娜娜", " 李四 "],
    "sex": ["", "3", "2", " 1"],
    "birth_date": ["", "1980-02-30", "2999-01-01", "19800506", "1980-05-07", "1980-5-6"],
    "citizen_id": [
        "",
        "123",
        MAN[:-1] + ("0" if MAN[-1] != "0" else "1"),
        MAN[:6] + MAN[8:17],
        MAN.lower(),
        WOMAN,
        " " + MAN,
        "１" + MAN[1:],
        "99" + MAN[2:],
        "x" * 41,
    ],
    "no_id_reason": ["", "1", "99", "zz"],
    "ethnicity": ["", "99", "1", "01", "02"],
    "education": ["", "99", "21", "x"],
    "occupation": ["", "zzz", "1"],
    "marital_status": ["", "20", "99", "10"],
    "relationship": ["", "01", "99", "20"],
    "hukou_type": ["", "1", "9", "3"],
    "residence_status": ["", "4", "2", "3"],
    "phone": ["", "123", "024-12345678", "138 1234 5678", "1" * 21, "13812345678\x00"],
}
DATA_VALUES = {
    "number": ["", "ab-1", "001", "1" * 21, " 7 "],
    "hh_type": ["1", "2", "3", ""],
    "address": ["", "某" * 201, "某村\x01", "辽宁"],
}


@pytest.fixture
def book(codes):
    return CodeBook()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    member_changes=st.dictionaries(st.sampled_from(sorted(MEMBER_VALUES)), st.integers(0, 20), max_size=4),
    data_changes=st.dictionaries(st.sampled_from(sorted(DATA_VALUES)), st.integers(0, 20), max_size=2),
)
def test_fast_path_says_yes_exactly_when_the_form_rules_say_nothing(book, member_changes, data_changes):
    member = {k: MEMBER_VALUES[k][i % len(MEMBER_VALUES[k])] for k, i in member_changes.items()}
    member = {**GOOD_MEMBER, **member, "row": 2}
    data = {**GOOD_DATA, **{k: DATA_VALUES[k][i % len(DATA_VALUES[k])] for k, i in data_changes.items()}}
    violations, cleaned = validate_household_input(data, [dict(member)], codes=book)
    quick = quick_member(data, dict(member), book, cid.parse)
    if violations:
        assert quick is None, [v.message for v in violations]
    else:
        assert quick == cleaned[0]


def test_a_good_row_takes_the_fast_path(book):
    violations, cleaned = validate_household_input(GOOD_DATA, [{**GOOD_MEMBER, "row": 2}], codes=book)
    assert violations == []
    assert quick_member(GOOD_DATA, {**GOOD_MEMBER, "row": 2}, book, cid.parse) == cleaned[0]
