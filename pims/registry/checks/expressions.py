"""ORM expressions shared by register rules; they compile to plain SQL on both
SQLite and PostgreSQL so every rule stays one set-based query."""

import datetime as dt

from django.db.models import Case, ExpressionWrapper, F, IntegerField, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan


def _year_and_monthday(x):
    if isinstance(x, dt.date):
        return Value(x.year), Value(x.month * 100 + x.day)
    expr = F(x) if isinstance(x, str) else x
    return ExtractYear(expr), ExtractMonth(expr) * 100 + ExtractDay(expr)


def age_at(birth, on):
    """Completed years from `birth` to `on` (each a field path, a date or an
    expression): the year difference, less one if the birthday is still to come."""
    birth_year, birth_md = _year_and_monthday(birth)
    on_year, on_md = _year_and_monthday(on)
    not_yet = Case(When(LessThan(on_md, birth_md), then=Value(1)), default=Value(0), output_field=IntegerField())
    return ExpressionWrapper(on_year - birth_year - not_yet, output_field=IntegerField())
