import datetime as dt

import pytest
from django.db.models import DateField, Value
from hypothesis import given, settings
from hypothesis import strategies as st

from pims.lib import clock
from pims.params import selectors
from pims.params.errors import NoValueInForce, UnknownParameter
from pims.params.models import Parameter, ParameterValue
from pims.params.selectors import param_entry, param_expression, param_timeline, param_value
from pims.params.services import parameter_amend

pytestmark = pytest.mark.django_db
KEY = "marriage.min_age.female"


def amend(actor, value, start, end=None, **extra):
    defaults = {"source": "测试依据", "status": "unverified"}
    return parameter_amend(
        actor=actor, key=KEY, value=str(value), valid_from=start, valid_to=end, **{**defaults, **extra}
    )


def test_the_value_in_force_follows_the_marriage_laws():
    assert param_value(KEY, on=dt.date(1975, 6, 1)) == 18
    assert param_value(KEY, on=dt.date(1980, 12, 31)) == 18
    assert param_value(KEY, on=dt.date(1981, 1, 1)) == 20
    assert param_value(KEY) == 20  # today


def test_no_value_before_the_first_law():
    with pytest.raises(NoValueInForce):
        param_value(KEY, on=dt.date(1949, 1, 1))
    assert param_value(KEY, on=dt.date(1949, 1, 1), default=None) is None


def test_an_unknown_key_is_an_error():
    with pytest.raises(UnknownParameter):
        param_value("no.such.key")


def test_an_unverified_value_is_shown_as_such():
    assert param_entry(KEY, dt.date(1975, 1, 1)).shown == "18 周岁（待核实）"
    assert param_entry(KEY, dt.date(1990, 1, 1)).shown == "20 周岁"


def test_an_amendment_takes_effect_at_once_and_keeps_history(personas):
    before = list(ParameterValue.objects.values_list("pk", "value", "valid_from", "valid_to"))
    start = clock.today() + dt.timedelta(days=10)
    amend(personas["sysadmin"], 19, start)
    assert param_value(KEY, on=start) == 19
    assert param_value(KEY, on=start - dt.timedelta(days=1)) == 20
    # Nothing recorded before was changed.
    after = ParameterValue.objects.filter(pk__in=[pk for pk, *_ in before])
    assert sorted(after.values_list("pk", "value", "valid_from", "valid_to")) == sorted(before)


def test_a_bounded_amendment_hands_back_to_the_earlier_value(personas):
    amend(personas["sysadmin"], 19, dt.date(2030, 1, 1), dt.date(2030, 12, 31))
    line = [(e.valid_from, e.valid_to, e.value) for e in param_timeline(KEY)]
    assert line == [
        (dt.date(1950, 5, 1), dt.date(1980, 12, 31), 18),
        (dt.date(1981, 1, 1), dt.date(2029, 12, 31), 20),
        (dt.date(2030, 1, 1), dt.date(2030, 12, 31), 19),
        (dt.date(2031, 1, 1), None, 20),
    ]


def test_the_later_amendment_wins_where_two_overlap(personas):
    amend(personas["sysadmin"], 19, dt.date(2030, 1, 1))
    amend(personas["sysadmin"], 21, dt.date(2029, 1, 1), dt.date(2030, 6, 30))
    assert param_value(KEY, on=dt.date(2030, 3, 1)) == 21
    assert param_value(KEY, on=dt.date(2030, 7, 1)) == 19


def test_another_process_sees_a_change_after_the_check_interval(monkeypatch):
    assert param_value(KEY) == 20
    # A row written by another process: this one's copy does not know it yet.
    ParameterValue.objects.create(
        parameter=Parameter.objects.get(key=KEY),
        value="23",
        valid_from=dt.date(2000, 1, 1),
        source="另一进程",
        status="unverified",
        origin=ParameterValue.Origin.AMENDMENT,
        recorded_at=clock.now(),
    )
    assert param_value(KEY) == 20
    monkeypatch.setattr(selectors, "CHECK_SECONDS", 0.0)
    assert param_value(KEY) == 23


@settings(max_examples=60, deadline=None)
@given(day=st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_the_sql_expression_agrees_with_the_python_value(day):
    row = ParameterValue.objects.annotate(v=param_expression(KEY, on=Value(day, output_field=DateField()))).values_list(
        "v", flat=True
    )[:1]
    assert row[0] == param_value(KEY, on=day, default=None)
