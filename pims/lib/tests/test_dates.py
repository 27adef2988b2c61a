"""Ages in completed years and "the same day N years earlier", 29 February included."""

import calendar
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Value
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pims.lib.dates import AgeInYears, age_on, aged_q, turns, years_before

LEAP_DAY = dt.date(2000, 2, 29)
days = st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2100, 12, 31))
leap_days = st.sampled_from([dt.date(y, 2, 29) for y in range(1880, 2101) if calendar.isleap(y)])
any_day = st.one_of(days, leap_days)


def birthday(birth: dt.date, year: int) -> dt.date:
    """The day in `year` on which someone born on `birth` completes a year:
    their birthday, or 1 March for a 29 February birthday in a common year."""
    if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
        return dt.date(year, 3, 1)
    return birth.replace(year=year)


def reference_age(birth: dt.date, day: dt.date) -> int:
    """Count the birthdays from the year after birth to `day`."""
    return sum(1 for year in range(birth.year + 1, day.year + 1) if birthday(birth, year) <= day)


@given(any_day, any_day)
@example(LEAP_DAY, dt.date(2001, 2, 28))
@example(LEAP_DAY, dt.date(2001, 3, 1))
@example(LEAP_DAY, dt.date(2004, 2, 28))
@example(LEAP_DAY, dt.date(2004, 2, 29))
def test_age_is_the_number_of_birthdays_passed(birth, day):
    if birth > day:
        birth, day = day, birth
    assert age_on(birth, day) == reference_age(birth, day)


def test_someone_born_on_29_february_completes_a_year_on_1_march():
    assert age_on(LEAP_DAY, dt.date(2001, 2, 28)) == 0
    assert age_on(LEAP_DAY, dt.date(2001, 3, 1)) == 1
    assert age_on(LEAP_DAY, dt.date(2004, 2, 28)) == 3
    assert age_on(LEAP_DAY, dt.date(2004, 2, 29)) == 4
    assert age_on(LEAP_DAY, LEAP_DAY) == 0


@given(any_day, st.integers(min_value=-100, max_value=100))
def test_years_before_is_the_same_day_or_28_february(day, years):
    earlier = years_before(day, years)
    assert earlier.year == day.year - years
    if (day.month, day.day) == (2, 29) and not calendar.isleap(earlier.year):
        assert (earlier.month, earlier.day) == (2, 28)
    else:
        assert (earlier.month, earlier.day) == (day.month, day.day)


def test_years_before_of_29_february():
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    assert years_before(dt.date(2028, 2, 29), 4) == dt.date(2024, 2, 29)
    assert years_before(dt.date(2027, 3, 1), 3) == dt.date(2024, 3, 1)


@given(any_day, any_day, st.integers(min_value=0, max_value=130))
@example(dt.date(2027, 2, 28), dt.date(2000, 2, 29), 27)
@example(dt.date(2028, 2, 29), dt.date(2027, 2, 28), 1)
@example(dt.date(2028, 2, 29), dt.date(2027, 3, 1), 1)
def test_the_birth_date_range_and_the_age_agree(day, birth, years):
    """aged_q's cutoffs: aged at least n on `day` exactly when born on or
    before the same day n years earlier."""
    assert (age_on(birth, day) >= years) == (birth <= years_before(day, years))


@given(any_day, any_day, st.integers(min_value=0, max_value=130))
@example(LEAP_DAY, dt.date(2001, 2, 28), 1)
@example(LEAP_DAY, dt.date(2001, 3, 1), 1)
def test_a_year_is_complete_on_the_day_turns_says(birth, day, years):
    assert (age_on(birth, day) >= years) == (day >= turns(birth, years))


def test_turns_of_29_february():
    assert turns(LEAP_DAY, 1) == dt.date(2001, 3, 1)
    assert turns(LEAP_DAY, 4) == dt.date(2004, 2, 29)
    assert turns(dt.date(2000, 3, 1), 1) == dt.date(2001, 3, 1)


def test_aged_q_without_bounds_is_everyone():
    assert aged_q(dt.date(2027, 3, 3)).children == []
    assert aged_q(dt.date(2027, 3, 3), 15, 49, "person__birth_date").children == [
        ("person__birth_date__lte", dt.date(2012, 3, 3)),
        ("person__birth_date__gt", dt.date(1977, 3, 3)),
    ]


pairs = st.lists(st.tuples(any_day, any_day).map(sorted), min_size=1, max_size=12)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs)
@example([(LEAP_DAY, dt.date(2001, 2, 28)), (LEAP_DAY, dt.date(2001, 3, 1)), (LEAP_DAY, dt.date(2028, 2, 29))])
@example([(dt.date(2027, 3, 1), dt.date(2028, 2, 29)), (dt.date(1990, 12, 31), dt.date(1991, 1, 1))])
def test_the_sql_age_is_the_python_age(pair_list):
    """The one SQL expression, on the database the suite runs on (SQLite or PostgreSQL)."""
    annotations = {f"a{i}": AgeInYears(Value(birth), Value(day)) for i, (birth, day) in enumerate(pair_list)}
    row = ContentType.objects.order_by("pk").annotate(**annotations).values(*annotations)[0]
    assert [row[f"a{i}"] for i in range(len(pair_list))] == [age_on(b, d) for b, d in pair_list]
