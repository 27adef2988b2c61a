"""What a report produces: sections of rows × columns, rendered the same way
on the page, in Excel, CSV and PDF (so that every output holds the same
numbers).

A column belongs to an optional header group (the upper row of a two-level
header, merged over consecutive columns of the same group). A row is a
child region (`key` = its code prefix, the drill-down target), an "other"
row for codes under the region that match no current child, or the total.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.regions.models import Region


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    group: str | Promise = ""
    # The measure behind the figure, for drill-through (None: derived figure).
    measure: str | None = None
    fmt: str = "int"  # int | dec1 | dec2 | pct1

    def format(self, value) -> str:
        if value is None:
            return "—"
        if self.fmt == "int":
            return str(int(value))
        if self.fmt == "dec1":
            return f"{value:.1f}"
        if self.fmt == "dec2":
            return f"{value:.2f}"
        if self.fmt == "pct1":
            return f"{value:.1f}%"
        return str(value)


@dataclass
class Row:
    key: str  # group key (a region code prefix); "" for the total row
    label: str | Promise
    values: dict
    code: str = ""  # the child region's full code when the row is a region (drill-down)
    is_total: bool = False

    def cells(self, columns: list[Column]) -> list:
        return [self.values.get(c.key) for c in columns]


@dataclass
class Section:
    key: str
    title: str | Promise
    row_header: str | Promise
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    unit: str | Promise = _("人")
    note: str | Promise = ""
    # Cells of the total row are the sum of the rows above (asserted in tests);
    # False for sections whose total is recomputed (ratios, indicators).
    additive: bool = True

    def header_groups(self) -> list[tuple[str | Promise, int]]:
        """(group label, colspan) runs over the columns, for the upper header row."""
        runs: list[tuple[str | Promise, int]] = []
        for c in self.columns:
            if runs and c.group and runs[-1][0] == c.group:
                runs[-1] = (c.group, runs[-1][1] + 1)
            else:
                runs.append((c.group, 1))
        return runs

    def header_top(self) -> list[tuple[str | Promise, int, int]]:
        """(label, colspan, rowspan) of the upper header row: a group over its
        columns, or an ungrouped column over both rows."""
        out: list[tuple[str | Promise, int, int]] = []
        i = 0
        for group, span in self.header_groups():
            if group:
                out.append((group, span, 1))
            else:
                out.append((self.columns[i].label, 1, 2 if self.two_level else 1))
            i += span
        return out

    def header_bottom(self) -> list[str | Promise]:
        return [c.label for c in self.columns if c.group]

    @property
    def two_level(self) -> bool:
        return any(c.group for c in self.columns)

    def all_rows(self) -> list[Row]:
        return [*self.rows, *([self.total] if self.total else [])]


@dataclass
class Result:
    report_key: str
    number: int
    title: str | Promise
    region: Region
    period_label: str
    basis: str | Promise  # 统计口径
    sections: list[Section]
    first: str = ""
    last: str = ""
    kind: str = ""
    closed: bool = False
    notes: list[str] = field(default_factory=list)
    charts: dict = field(default_factory=dict)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


TOTAL_LABEL = _("合计")


def sum_rows(rows: list[Row], columns: list[Column], label: str | Promise = TOTAL_LABEL) -> Row:
    values = {}
    for c in columns:
        nums = [v for r in rows if (v := r.values.get(c.key)) is not None]
        values[c.key] = sum(nums) if nums else (0 if c.fmt == "int" else None)
    return Row(key="", label=label, values=values, is_total=True)


def ratio(n, d, scale: float = 1.0):
    return (n * scale / d) if d else None
