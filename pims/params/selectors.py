"""Reading the dated parameter table.

    param_value("marriage.min_age.female", on=day)   # 20 (an int), in force on `day`
    param_entry("marriage.min_age.female", on=day)   # the same with source, dates, 待核实 flag
    param_expression("marriage.min_age.female", on="date")  # SQL: the value in force on each row's date

The value in force on a day is that of the latest *amendment* whose dates
cover the day, else that of the latest *seed* row covering it: rows are never
changed, so a later row simply takes precedence where it applies, and an
administrator's amendment always outranks what a release ships.

The whole table (a few dozen rows) is held per process and re-read when it
changed: an amendment clears this process's copy at once (and again when its
transaction commits); other processes notice the change by a one-row check
(row count and highest id of the append-only table) made at most every
`CHECK_SECONDS`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    Field,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from pims.lib import clock

from . import values
from .errors import NoValueInForce, UnknownParameter
from .models import Kind, Parameter, ParameterValue

CHECK_SECONDS = 2.0
UNVERIFIED_MARK = "待核实"
_RAISE = object()


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    kind: str
    unit: str
    description: str
    minimum: str
    maximum: str


@dataclass(frozen=True)
class Entry:
    """A parameter's value over one stretch of dates, as the rules see it."""

    key: str
    title: str
    kind: str
    unit: str
    value: object
    valid_from: dt.date
    valid_to: dt.date | None  # inclusive; None = until further notice
    source: str
    confirmed_by: str
    verified: bool
    row_id: int

    @property
    def shown(self) -> str:
        """The value with its unit, marked 待核实 when unverified."""
        text = values.shown(self.kind, self.value) + (f" {self.unit}" if self.unit else "")
        return text if self.verified else f"{text}（{UNVERIFIED_MARK}）"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple
    definitions: dict[str, Definition]
    timelines: dict[str, list[Entry]]


class _Cache:
    # One copy per process, shared by its threads (replacing the reference
    # is atomic; two threads reloading at once only read the table twice).
    snapshot: _Snapshot | None = None
    checked: float = 0.0


_cache = _Cache()


def param_cache_clear() -> None:
    """Forget this process's copy (after an amendment, a load, or in tests)."""
    _cache.snapshot = None
    _cache.checked = 0.0


def _stamp() -> tuple:
    rows = ParameterValue.objects.aggregate(n=Count("pk"), last=Max("pk"))
    defs = Parameter.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return rows["n"], rows["last"], defs["n"], defs["last"]


def _snapshot() -> _Snapshot:
    now = time.monotonic()
    snap = _cache.snapshot
    if snap is not None and now - _cache.checked < CHECK_SECONDS:
        return snap
    stamp = _stamp()
    if snap is None or snap.stamp != stamp:
        snap = _load(stamp)
        _cache.snapshot = snap
    _cache.checked = now
    return snap


def _load(stamp: tuple) -> _Snapshot:
    definitions = {
        p.key: Definition(p.key, p.title, p.kind, p.unit, p.description, p.minimum, p.maximum)
        for p in Parameter.objects.all()
    }
    rows: dict[str, list[ParameterValue]] = {key: [] for key in definitions}
    for row in ParameterValue.objects.select_related("parameter").order_by("pk"):
        rows[row.parameter.key].append(row)
    timelines = {key: timeline(definitions[key], rows[key]) for key in definitions}
    return _Snapshot(stamp, definitions, timelines)


def _rank(row: ParameterValue) -> tuple:
    return (row.origin == ParameterValue.Origin.AMENDMENT, row.pk)


def timeline(definition: Definition, rows: list[ParameterValue]) -> list[Entry]:
    """The value in force over time: non-overlapping stretches in date order,
    each taken from the highest-ranking row covering it (see the module
    docstring). Days no row covers have no value."""
    starts = sorted({r.valid_from for r in rows} | {r.valid_to + dt.timedelta(days=1) for r in rows if r.valid_to})
    out: list[Entry] = []
    for i, day in enumerate(starts):
        covering = [r for r in rows if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)]
        if not covering:
            continue
        best = max(covering, key=_rank)
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else None
        if out and out[-1].row_id == best.pk and out[-1].valid_to == day - dt.timedelta(days=1):
            out[-1] = _entry(definition, best, out[-1].valid_from, end)
        else:
            out.append(_entry(definition, best, day, end))
    return out


def _entry(d: Definition, row: ParameterValue, start: dt.date, end: dt.date | None) -> Entry:
    return Entry(
        key=d.key,
        title=d.title,
        kind=d.kind,
        unit=d.unit,
        value=values.parse(d.kind, row.value),
        valid_from=start,
        valid_to=end,
        source=row.source,
        confirmed_by=row.confirmed_by,
        verified=row.status == ParameterValue.Status.VERIFIED,
        row_id=row.pk,
    )


def param_definition(key: str) -> Definition:
    try:
        return _snapshot().definitions[key]
    except KeyError:
        raise UnknownParameter(key) from None


def param_timeline(key: str) -> list[Entry]:
    param_definition(key)
    return list(_snapshot().timelines[key])


def param_entry(key: str, on: dt.date | None = None) -> Entry | None:
    """The entry in force on `on` (default: today), or None."""
    day = on or clock.today()
    line = param_timeline(key)
    i = bisect.bisect_right([e.valid_from for e in line], day) - 1
    if i >= 0 and line[i].covers(day):
        return line[i]
    return None


def param_value(key: str, on: dt.date | None = None, *, default=_RAISE):
    """The typed value of `key` in force on `on` (default: today).

    Raises UnknownParameter for a key the table does not define and
    NoValueInForce when no value covers the day, unless `default` is given."""
    entry = param_entry(key, on)
    if entry is not None:
        return entry.value
    if default is _RAISE:
        raise NoValueInForce(key, on or clock.today())
    return default


_OUTPUT: dict[str, Callable[[], Field]] = {
    Kind.INT: IntegerField,
    Kind.DECIMAL: lambda: DecimalField(max_digits=20, decimal_places=6),
    Kind.DATE: DateField,
    Kind.TEXT: CharField,
    Kind.BOOL: BooleanField,
}


def param_expression(key: str, on):
    """An SQL expression for the value of `key` in force on `on` (a field
    path, an expression or a date) for every row of a query: a CASE over the
    parameter's timeline, NULL where no value is in force (so a comparison
    with it is never true). One stretch covering everything is a constant."""
    line = param_timeline(key)
    output = _OUTPUT[param_definition(key).kind]()
    if isinstance(on, dt.date):
        entry = param_entry(key, on)
        return Value(entry.value if entry else None, output_field=output)
    ref = F(on) if isinstance(on, str) else on
    whens = []
    for e in line:
        condition = Q(GreaterThanOrEqual(ref, Value(e.valid_from)))
        if e.valid_to is not None:
            condition &= Q(LessThanOrEqual(ref, Value(e.valid_to)))
        whens.append(When(condition, then=Value(e.value, output_field=output)))
    if not whens:
        return Value(None, output_field=output)
    return Case(*whens, default=Value(None, output_field=output), output_field=output)


# --- screens -------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    definition: Definition
    current: Entry | None
    upcoming: list[Entry]


def parameter_overview(on: dt.date | None = None) -> list[Overview]:
    """Every parameter with its value in force today and the changes ahead."""
    day = on or clock.today()
    snap = _snapshot()
    out = []
    for key in sorted(snap.definitions):
        line = snap.timelines[key]
        out.append(Overview(snap.definitions[key], param_entry(key, day), [e for e in line if e.valid_from > day]))
    return out


def parameter_get(key: str) -> Parameter:
    """The stored definition (raises Parameter.DoesNotExist)."""
    return Parameter.objects.get(key=key)


def parameter_history(parameter: Parameter):
    """Every recorded row of a parameter, newest first, with who recorded it."""
    return parameter.values.select_related("recorded_by").order_by("-pk")
