"""1 人口基本情况: the stock at the end of the period by sex, age, Han /
minority, hukou type and residence status per child region; the age–sex
structure of the region (five-year groups, single years on request);
households by size and the average household size.

One GROUP BY (row, sex, age group) over the period-end spells gives the
first two sections; one GROUP BY over households (members per household,
as a subquery) gives the third. A closed month reads the same shapes from
the month-close cells.
"""

import datetime as dt

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from pims.lib.dates import aged_q, years_before

from ..closes import current_closes
from ..frame import Frame
from ..models import ClosedHousehold, ClosedStock
from ..tables import Column, Row, Section, ratio, sum_rows
from .base import CLOSED_NOTE, Measure, ReportDef, result, spell_base

AGRI, NONAGRI = ("2", "4"), ("1", "3")
TOP5, TOP1 = 85, 100
MAX_SIZE = 10  # households of ten or more are one cell

MAIN = [
    Column("households", _("户数"), measure=None),
    Column("total", _("合计"), _("总人口"), measure="total"),
    Column("male", _("男"), _("总人口"), measure="male"),
    Column("female", _("女"), _("总人口"), measure="female"),
    Column("age_0_14", _("0–14岁"), _("年龄"), measure="age_0_14"),
    Column("age_15_64", _("15–64岁"), _("年龄"), measure="age_15_64"),
    Column("age_65", _("65岁及以上"), _("年龄"), measure="age_65"),
    Column("han", _("汉族"), _("民族"), measure="han"),
    Column("minority", _("少数民族"), _("民族"), measure="minority"),
    Column("agri", _("农业"), _("户口类别"), measure="agri"),
    Column("nonagri", _("非农业"), _("户口类别"), measure="nonagri"),
    Column("hukou_other", _("其他"), _("户口类别"), measure="hukou_other"),
    Column("rs1", _("人户一致"), _("人户状况"), measure="rs1"),
    Column("rs2", _("人在户不在"), _("人户状况"), measure="rs2"),
    Column("rs3", _("户在人不在"), _("人户状况"), measure="rs3"),
    Column("avg_size", _("平均每户人口"), fmt="dec2"),
]
SIZE_COLUMNS = [
    *[Column(f"size{k}", format_lazy(_("{n}人户"), n=k), _("按户规模分的户数"), measure=None) for k in range(1, 6)],
    Column("size6", _("6人及以上户"), _("按户规模分的户数"), measure=None),
    Column("households", _("户数合计"), measure=None),
    Column("hh_persons", _("户内人口"), measure=None),
    Column("avg_size", _("平均每户人口"), fmt="dec2"),
]
AGE_COLUMNS = [
    Column("total", _("合计"), _("人口"), measure="total"),
    Column("male", _("男"), _("人口"), measure="male"),
    Column("female", _("女"), _("人口"), measure="female"),
    Column("sex_ratio", _("性别比（女=100）"), fmt="dec1"),
]


def age_groups(single: bool) -> list[tuple[int, int | None]]:
    """(lo, hi) of each age group; hi None for the open top group."""
    if single:
        return [(a, a) for a in range(TOP1)] + [(TOP1, None)]
    return [(a, a + 4) for a in range(0, TOP5, 5)] + [(TOP5, None)]


def age_label(lo: int, hi: int | None) -> str:
    if hi is None:
        return _("%(lo)d岁及以上") % {"lo": lo}
    return _("%(lo)d岁") % {"lo": lo} if lo == hi else _("%(lo)d–%(hi)d岁") % {"lo": lo, "hi": hi}


def age_case(ref: dt.date, groups, field: str = "birth_date") -> Case:
    """The index of a person's age group at `ref`, by birth-date thresholds
    (completed years; no date arithmetic in SQL)."""
    whens = [
        When(**{f"{field}__gt": years_before(ref, hi + 1)}, then=Value(i))
        for i, (_lo, hi) in enumerate(groups)
        if hi is not None
    ]
    return Case(*whens, default=Value(len(groups) - 1), output_field=IntegerField())


def _stock_measures(frame: Frame) -> dict[str, Measure]:
    ref = frame.params.ref

    def m(q, label):
        return Measure("stock_end", lambda f: q, label)

    out = {
        "total": m(Q(), _("总人口")),
        "male": m(Q(sex="1"), _("男")),
        "female": m(Q(sex="2"), _("女")),
        "age_0_14": m(aged_q(ref, 0, 14, "birth_date"), _("0–14岁")),
        "age_15_64": m(aged_q(ref, 15, 64, "birth_date"), _("15–64岁")),
        "age_65": m(aged_q(ref, 65, None, "birth_date"), _("65岁及以上")),
        "han": m(Q(ethnicity="01"), _("汉族")),
        "minority": m(~Q(ethnicity="01"), _("少数民族")),
        "agri": m(Q(hukou_type__in=AGRI), _("农业户口")),
        "nonagri": m(Q(hukou_type__in=NONAGRI), _("非农业户口")),
        "hukou_other": m(~Q(hukou_type__in=AGRI + NONAGRI), _("其他户口")),
        "rs1": m(Q(residence_status="1"), _("人户一致")),
        "rs2": m(Q(residence_status="2"), _("人在户不在")),
        "rs3": m(Q(residence_status="3"), _("户在人不在")),
    }
    for i, (lo, hi) in enumerate(age_groups(frame.params.single_years)):
        aged = aged_q(ref, lo, hi, "birth_date")
        out[f"a{i}"] = m(aged, age_label(lo, hi))
        out[f"a{i}m"] = m(aged & Q(sex="1"), _("%(age)s 男") % {"age": age_label(lo, hi)})
        out[f"a{i}f"] = m(aged & Q(sex="2"), _("%(age)s 女") % {"age": age_label(lo, hi)})
    return out


def stock_counts() -> dict:
    """The counts of a stock cell, over the spells' copies of the person's
    attributes (no join: one scan of the spells)."""
    return {
        "n": Count("id"),
        "han": Count("id", filter=Q(ethnicity="01")),
        "agri": Count("id", filter=Q(hukou_type__in=AGRI)),
        "nonagri": Count("id", filter=Q(hukou_type__in=NONAGRI)),
        "rs1": Count("id", filter=Q(residence_status="1")),
        "rs2": Count("id", filter=Q(residence_status="2")),
        "rs3": Count("id", filter=Q(residence_status="3")),
    }


def _cells_live(frame: Frame, groups) -> list[dict]:
    """Rows (g, sex, ag, n, han, agri, nonagri, rs1, rs2, rs3)."""
    qs = spell_base(frame, "stock_end").annotate(ag=age_case(frame.params.ref, groups))
    return list(qs.values("g", "sex", "ag").annotate(**stock_counts()).order_by())


CELL_SUMS = ("n", "han", "agri", "nonagri", "rs1", "rs2", "rs3")


def _cells_closed(frame: Frame, close_ids: list[int]) -> list[dict]:
    qs = frame.scoped(ClosedStock.objects.filter(close_id__in=close_ids, kind=frame.params.kind))
    rows = (
        frame.grouped(qs).values("g", "sex", "age_group").annotate(**{f"s_{k}": Sum(k) for k in CELL_SUMS}).order_by()
    )
    return [{"g": r["g"], "sex": r["sex"], "ag": r["age_group"], **{k: r[f"s_{k}"] for k in CELL_SUMS}} for r in rows]


def household_members(spells: QuerySet) -> QuerySet:
    """The spells of `spells` that make a household's members in the
    household-size count: a household belongs to the village of its
    registration (户籍地; for 常住 that is where the household lives), and its
    members are its member spells of the kind in that same village. A member
    registered or living elsewhere counts in the population of that other
    row but in no household there, so every row's household members are at
    most its population, and the village cells add up at every level."""
    return spells.filter(household__isnull=False, region_code=F("household__region_code"))


def household_sizes_sql(spells: QuerySet, n: int, lead: str = "") -> tuple[str, list]:
    """SELECT ([lead columns,] row key, size capped at 10, households,
    persons) over the households of `spells` (see `household_members`), row
    keys the first `n` digits of the household's village code."""
    inner = (
        household_members(spells)
        .values("household_id")
        .annotate(size=Count("*"), gk=Min(Substr("region_code", 1, n)))
        .order_by()
    )
    # The inner SQL is compiled by Django with its values as parameters; the
    # only literals are int constants (S608 does not apply).
    sql, params = inner.query.sql_with_params()
    size = f"CASE WHEN t.size >= {MAX_SIZE:d} THEN {MAX_SIZE:d} ELSE t.size END"
    outer = f"SELECT {lead}t.gk, {size}, COUNT(*), SUM(t.size) FROM ({sql}) t GROUP BY t.gk, {size}"  # noqa: S608
    return outer, list(params)


def household_sizes_live(frame: Frame) -> list[tuple[str, int, int, int]]:
    """(row key, size capped at 10, households, persons) of the households
    with a member spell of the kind open at period end."""
    sql, params = household_sizes_sql(spell_base(frame, "stock_end"), frame.n)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(g, int(sz), int(h), int(p)) for g, sz, h, p in cursor.fetchall()]


def _household_sizes_closed(frame: Frame, close_ids: list[int]) -> list[tuple[str, int, int, int]]:
    qs = frame.scoped(ClosedHousehold.objects.filter(close_id__in=close_ids, kind=frame.params.kind))
    rows = frame.grouped(qs).values("g", "size").annotate(h=Sum("households"), p=Sum("persons")).order_by()
    return [(r["g"], r["size"], r["h"], r["p"]) for r in rows]


def population_cells(frame: Frame) -> tuple[list[dict], list[tuple], bool]:
    """The stock cells and household sizes of the frame, from the month
    close when the period's last month is closed (five-year groups only)."""
    p = frame.params
    closes = {} if p.single_years else current_closes(frame.region, [p.last])
    if p.last in closes:
        ids = closes[p.last]
        return _cells_closed(frame, ids), _household_sizes_closed(frame, ids), True
    groups = age_groups(p.single_years)
    return _cells_live(frame, groups), household_sizes_live(frame), False


def _main_data(cells, groups, ref_groups_0_14, ref_groups_65) -> dict[str, dict]:
    data: dict[str, dict] = {}
    for c in cells:
        d = data.setdefault(c["g"], dict.fromkeys([col.key for col in MAIN if col.measure], 0))
        n = c["n"]
        d["total"] += n
        if c["sex"] == "1":
            d["male"] += n
        elif c["sex"] == "2":
            d["female"] += n
        if c["ag"] in ref_groups_0_14:
            d["age_0_14"] += n
        elif c["ag"] in ref_groups_65:
            d["age_65"] += n
        else:
            d["age_15_64"] += n
        d["han"] += c["han"]
        d["minority"] += n - c["han"]
        d["agri"] += c["agri"]
        d["nonagri"] += c["nonagri"]
        d["hukou_other"] += n - c["agri"] - c["nonagri"]
        for k in ("rs1", "rs2", "rs3"):
            d[k] += c[k]
    return data


def _broad(groups) -> tuple[set[int], set[int]]:
    young = {i for i, (lo, hi) in enumerate(groups) if hi is not None and hi <= 14}
    old = {i for i, (lo, _hi) in enumerate(groups) if lo >= 65}
    return young, old


class PopulationReport(ReportDef):
    key = "population"
    number = 1
    title = _("人口基本情况统计表")
    description = _("期末人口按性别、年龄、民族、户口类别、人户状况；年龄性别结构；按户规模分的户数、平均每户人口")

    def measures(self, frame):
        return _stock_measures(frame)

    def run(self, frame: Frame):
        single = frame.params.single_years
        groups = age_groups(single)
        cells, sizes, closed = population_cells(frame)
        young, old = _broad(groups)
        data = _main_data(cells, groups, young, old)

        hh: dict[str, dict] = {}
        for g, size, households, persons in sizes:
            d = hh.setdefault(g, {f"size{k}": 0 for k in range(1, 7)} | {"households": 0, "hh_persons": 0})
            d[f"size{min(size, 6)}"] += households
            d["households"] += households
            d["hh_persons"] += persons
        for g, d in hh.items():
            data.setdefault(g, {})["households"] = d["households"]
            data[g]["hh_persons"] = d["hh_persons"]

        def avg(v):
            return {"avg_size": ratio(v.get("hh_persons", 0), v.get("households", 0))}

        main_cols = [*MAIN[:-1], Column("hh_persons", _("户内人口"), measure=None), MAIN[-1]]
        rows, total = frame.rows(data, main_cols, avg)
        main = Section("main", _("人口基本情况"), _("区划"), MAIN, rows, total)

        size_rows, size_total = frame.rows(hh, SIZE_COLUMNS, avg)
        sizes_section = Section(
            "households", _("按户规模分的户数"), _("区划"), SIZE_COLUMNS, size_rows, size_total, unit=_("户")
        )

        by_age: dict[int, dict] = {}
        for c in cells:
            d = by_age.setdefault(c["ag"], {"total": 0, "male": 0, "female": 0})
            d["total"] += c["n"]
            if c["sex"] == "1":
                d["male"] += c["n"]
            elif c["sex"] == "2":
                d["female"] += c["n"]
        age_rows = []
        for i, (lo, hi) in enumerate(groups):
            values = by_age.get(i, {"total": 0, "male": 0, "female": 0})
            age_rows.append(Row(key=f"a{i}", label=age_label(lo, hi), values=dict(values)))
        age_total = sum_rows(age_rows, AGE_COLUMNS[:3])
        for r in [*age_rows, age_total]:
            r.values["sex_ratio"] = ratio(r.values["male"], r.values["female"], 100)
        age_section = Section(
            "ages",
            _("%(region)s 年龄性别结构（%(groups)s）")
            % {"region": frame.region.name, "groups": _("单岁") if single else _("五岁组")},
            _("年龄"),
            AGE_COLUMNS,
            age_rows,
            age_total,
            note=_("年龄为统计期末的周岁。"),
        )
        notes = [CLOSED_NOTE] if closed else []
        charts = {
            "pyramid": {
                "labels": [r.label for r in age_rows],
                "male": [r.values["male"] for r in age_rows],
                "female": [r.values["female"] for r in age_rows],
            },
            "structure": {
                "labels": [r.label for r in rows],
                "young": [r.values["age_0_14"] for r in rows],
                "working": [r.values["age_15_64"] for r in rows],
                "old": [r.values["age_65"] for r in rows],
            },
        }
        return result(
            self,
            frame,
            [main, age_section, sizes_section],
            basis=_(
                "%(kind)s；统计期末（%(ref)s）在册人数，按审核通过时间计；"
                "年龄为期末周岁；性别、民族、户口类别、人户状况为登记的现值（月结后冻结）。"
            )
            % {"kind": frame.params.kind_label, "ref": frame.params.ref},
            notes=notes,
            closed=closed,
            charts=charts,
        )

    def drill_cell(self, section_key: str, row_key: str, column_key: str) -> str | None:
        """The measure behind a cell of a section whose rows are not regions."""
        if section_key == "ages" and not row_key:
            return column_key if column_key in ("total", "male", "female") else None
        if section_key == "ages":
            suffix = {"total": "", "male": "m", "female": "f"}.get(column_key)
            return None if suffix is None else f"{row_key}{suffix}"
        return None
