"""Ages and anniversaries: the one definition, in Python and in SQL.

Age is in completed years (DESIGN.md §3, counting rules): the year
difference, less one while the birthday of the later year is still to come.
Someone born on 29 February has a birthday only in leap years; in other
years they complete a year on 1 March (the day after 28 February), so

    age_on(birth, day) >= n   exactly when   birth <= years_before(day, n)
                              exactly when   day >= turns(birth, n)

where `years_before` is "the same day n years earlier", 29 February falling
back to 28 February in a year without it, and `turns` is the day the n-th
year is complete. Queries use the two forms:

- a range on the birth date (`aged_q`) for "aged lo to hi" filters — an
  indexed comparison with a date computed once in Python;
- `AgeInYears`, the one SQL expression for an age computed per row (the
  mother's age at a birth, a person's age at their marriage), compiled to
  PostgreSQL's age() or to SQLite date arithmetic. It is defined for birth
  on or before the later date.

"Today" comes from pims.lib.clock; these functions take the day explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import F, Func, IntegerField, Q, Value
from django.db.models.expressions import Combinable

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in completed years on `day` of someone born on `birth`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (a negative `years`: later); 29 February
    becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def turns(birth: dt.date, years: int) -> dt.date:
    """The day someone born on `birth` completes `years` years: the birthday
    in that year, 1 March for a 29 February birthday in a year without it."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return dt.date(birth.year + years, 3, 1)


def aged_q(ref: dt.date, lo: int | None = None, hi: int | None = None, field: str = "birth_date") -> Q:
    """Aged `lo` to `hi` completed years (both inclusive; None: open) on
    `ref`: born in (ref − (hi+1) years, ref − lo years]."""
    q = Q()
    if lo is not None:
        q &= Q(**{f"{field}__lte": years_before(ref, lo)})
    if hi is not None:
        q &= Q(**{f"{field}__gt": years_before(ref, hi + 1)})
    return q


DateArg = str | dt.date | Combinable


def _expression(x: DateArg) -> Combinable:
    if isinstance(x, dt.date):
        return Value(x)
    return F(x) if isinstance(x, str) else x


class AgeInYears(Func):
    """Completed years from `birth` to `on` in SQL; each a field path, a date
    or an expression. PostgreSQL: age() (one C call per row, ~10× faster
    over a county than EXTRACT arithmetic). SQLite: the two dates written as
    YYYYMMDD numbers, their difference divided by 10000 (integer division).
    Both equal `age_on` for birth <= on, 29 February included."""

    output_field = IntegerField()

    def __init__(self, birth: DateArg, on: DateArg) -> None:
        super().__init__(_expression(on), _expression(birth), output_field=IntegerField())

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> _AsSqlType:
        on, birth = self.get_source_expressions()
        on_sql, on_params = compiler.compile(on)
        birth_sql, birth_params = compiler.compile(birth)
        if connection.vendor == "postgresql":
            sql = f"CAST(date_part('year', age({on_sql}, {birth_sql})) AS integer)"
        else:
            # '%%' is the driver's escaped '%' (the query goes through %s parameter substitution).
            sql = (
                f"((CAST(strftime('%%Y%%m%%d', {on_sql}) AS integer)"
                f" - CAST(strftime('%%Y%%m%%d', {birth_sql}) AS integer)) / 10000)"
            )
        return sql, [*on_params, *birth_params]
