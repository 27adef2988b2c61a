"""The frame a report runs in: the user, the region (access-checked by the
caller), its child regions as rows, the periods and the kind of population.

Rows are the children of the region: every figure is grouped by the
first `n` digits of a 12-digit region code (n = the digits of the child
level), in one GROUP BY — never one query per child. Codes under the
region that match no current child (a retired village, a code of the
region itself) get an "other" row, so that the total is always the sum of
the rows.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.events.periods import last_day, periods_between, previous_period
from pims.regions.models import LEVEL_DIGITS, LEVEL_ORDER, Level, Region
from pims.regions.scope import scope_q
from pims.regions.selectors import region_children_visible_to

from .tables import Column, Row, sum_rows

if TYPE_CHECKING:
    from pims.accounts.requests import AnyUser

KIND_LABELS: dict[str, str | Promise] = {
    Spell.Kind.REGISTERED: _("户籍人口（户籍登记时段）"),
    Spell.Kind.RESIDENT: _("常住人口（实际居住时段）"),
}


def stock_q(period: str) -> Q:
    """Spells open at the end of `period` as approved by then (the stock that
    no later report changes; pims.events.selectors.population_end_of)."""
    return Q(open_period__lte=period) & ~Q(open_period="") & (Q(close_period="") | Q(close_period__gt=period))


@dataclass(frozen=True)
class Params:
    first: str
    last: str
    kind: str = Spell.Kind.REGISTERED
    single_years: bool = False

    @property
    def periods(self) -> list[str]:
        return periods_between(self.first, self.last)

    @property
    def ref(self) -> dt.date:
        """Reference date of stocks: the last day of the period."""
        return last_day(self.last)

    @property
    def start_period(self) -> str:
        return previous_period(self.first)

    @property
    def start_ref(self) -> dt.date:
        return last_day(self.start_period)

    @property
    def months(self) -> int:
        return len(self.periods)

    @property
    def label(self) -> str:
        return (
            self.first
            if self.first == self.last
            else _("%(first)s 至 %(last)s") % {"first": self.first, "last": self.last}
        )

    @property
    def kind_label(self) -> str | Promise:
        return KIND_LABELS.get(self.kind, self.kind)


def child_level(region: Region) -> str | None:
    i = LEVEL_ORDER.index(region.level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


@dataclass
class Frame:
    user: "AnyUser | None"
    region: Region
    params: Params
    children: dict[str, Region] = field(default_factory=dict)

    @classmethod
    def build(cls, user, region: Region, params: Params) -> "Frame":
        frame = cls(user=user, region=region, params=params)
        level = child_level(region)
        if level is None:
            frame.children = {region.code: region}
        else:
            n = LEVEL_DIGITS[level]
            frame.children = {
                c.code[:n]: c for c in region_children_visible_to(user=user, region=region).filter(level=level)
            }
        return frame

    @property
    def prefix(self) -> str:
        return self.region.prefix

    @property
    def n(self) -> int:
        """Digits of a row's group key."""
        level = child_level(self.region)
        return LEVEL_DIGITS[level] if level else 12

    @property
    def is_leaf(self) -> bool:
        return self.region.level == Level.VILLAGE

    def scoped(self, qs: QuerySet, field: str = "region_code") -> QuerySet:
        """The region's part of `qs`, inside the user's jurisdiction (the
        region was access-checked; the scope filter is the one rule again)."""
        return qs.filter(scope_q(self.user, field), **{f"{field}__startswith": self.prefix})

    def spells(self, kind: str | None = None) -> QuerySet[Spell]:
        return self.scoped(Spell.objects.filter(kind=kind or self.params.kind))

    def grouped(self, qs: QuerySet, field: str = "region_code") -> QuerySet:
        return qs.annotate(g=Substr(field, 1, self.n))

    def row_label(self, key: str) -> str:
        region = self.children.get(key)
        return region.name if region else _("其他（%(code)s）") % {"code": key}

    def rows(self, data: dict[str, dict], columns: list[Column], derive=None) -> tuple[list[Row], Row]:
        """Rows in code order for every current child (and a retired child
        or an unknown code that has figures), the total as their sum, then
        the derived columns of each row and of the total."""
        keys = [k for k, r in sorted(self.children.items()) if r.valid_to is None or k in data]
        keys += sorted(k for k in data if k not in self.children and k)
        base = [c for c in columns if c.measure is not None or c.fmt == "int"]
        rows = []
        for k in keys:
            values = {c.key: (data.get(k) or {}).get(c.key, 0) for c in base}
            child = self.children.get(k)
            code = child.code if child is not None and not self.is_leaf else ""
            rows.append(Row(key=k, label=self.row_label(k), values=values, code=code))
        total = sum_rows(rows, base)
        if derive is not None:
            for r in [*rows, total]:
                r.values.update(derive(r.values))
        return rows, total


@contextmanager
def report_session():
    """The statements of one report in one transaction, tuned on PostgreSQL:
    JIT off (compiling a GROUP BY with a dozen FILTER clauses costs more than
    it saves at county scale) and a larger work_mem, so that the hash join
    of a county's spells with its persons and the aggregates stay in memory.
    SET LOCAL ends with the transaction."""
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '256MB'")
        yield
