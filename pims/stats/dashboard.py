"""The dashboard's charts (issue 15.13), for the user's own region: the
population pyramid (registered and resident), this year's births, deaths and
moves by month against last year's, and collection and review progress per
child region. Each panel carries its chart data, the table behind it and the
report page (with its exports) it comes from; registered on the dashboard
through pims.web.selectors.DASHBOARD_PANELS.

The pyramid and the progress come from the statistics reports themselves
(closed months read their cells); the monthly figures are two GROUP BYs over
the spells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from pims.events.models import Spell
from pims.events.periods import period_of, previous_period
from pims.lib import clock
from pims.regions.models import Level

from .frame import Params
from .selectors import can_view_reports, report_run

OPENED, CLOSED = Spell.Opened, Spell.Closed


@dataclass
class Panel:
    key: str
    title: str
    chart: dict[str, Any]  # {"type": "pyramid" | "lines" | "bars", ...} for static/js/dashboard_charts.js
    headers: list[str]
    rows: list[list[Any]]
    link: str = ""  # the report page with the full table and its exports
    note: str = ""
    extra: dict = field(default_factory=dict)


def _report_link(key: str, code: str, **query: str) -> str:
    url = reverse("stats:report", args=[key, code])
    return f"{url}?{urlencode(query)}" if query else url


def pyramid_panel(user) -> Panel:
    code, period = user.region.code, previous_period(period_of(clock.today()))
    kinds = [(Spell.Kind.REGISTERED, _("户籍人口")), (Spell.Kind.RESIDENT, _("常住人口"))]
    charts: list[dict[str, Any]] = []
    rows: dict[str, list[Any]] = {}
    for kind, label in kinds:
        result = report_run(user=user, key="population", code=code, params=Params(period, period, kind))
        pyramid = result.charts["pyramid"]
        charts.append({"name": str(label), **pyramid})
        for i, age in enumerate(pyramid["labels"]):
            rows.setdefault(age, [age]).extend([pyramid["male"][i], pyramid["female"][i]])
    headers = [_("年龄"), _("户籍 男"), _("户籍 女"), _("常住 男"), _("常住 女")]
    return Panel(
        "pyramid",
        _("%(region)s 人口金字塔（%(period)s 末）") % {"region": user.region.name, "period": period},
        {"type": "pyramid", "charts": charts},
        headers,
        list(rows.values()),
        link=_report_link("population", code, period=period),
        note=_("户籍人口与常住人口分别统计；年龄为月末周岁。"),
    )


def monthly_panel(user) -> Panel:
    """Births, deaths, moves in and out per approval month: this year to date
    against the same months of last year (registered population)."""
    today = clock.today()
    this_year, last_year = today.year, today.year - 1
    months = [f"{m:02d}" for m in range(1, today.month + 1)]
    periods = [f"{y}-{m}" for y in (last_year, this_year) for m in months]
    spells = Spell.objects.filter(region_code__startswith=user.region.prefix, kind=Spell.Kind.REGISTERED)
    opened = {
        (p, r): n
        for p, r, n in spells.filter(open_period__in=periods, open_reason__in=[OPENED.BIRTH, OPENED.MOVE])
        .values_list("open_period", "open_reason")
        .annotate(n=Count("id"))
        .order_by()
    }
    closed = {
        (p, r): n
        for p, r, n in spells.filter(close_period__in=periods, close_reason__in=[CLOSED.DEATH, CLOSED.MOVE])
        .values_list("close_period", "close_reason")
        .annotate(n=Count("id"))
        .order_by()
    }
    measures = [
        (_("出生"), lambda p: opened.get((p, OPENED.BIRTH), 0)),
        (_("死亡"), lambda p: closed.get((p, CLOSED.DEATH), 0)),
        (_("迁入"), lambda p: opened.get((p, OPENED.MOVE), 0)),
        (_("迁出"), lambda p: closed.get((p, CLOSED.MOVE), 0)),
    ]
    series: list[dict[str, Any]] = []
    for label, count in measures:
        for year, dashed in ((this_year, False), (last_year, True)):
            series.append(
                {"name": f"{label}（{year}）", "data": [count(f"{year}-{m}") for m in months], "dashed": dashed}
            )
    labels = [f"{int(m)}月" for m in months]
    headers = [_("月份")] + [str(s["name"]) for s in series]
    rows = [[labels[i]] + [s["data"][i] for s in series] for i in range(len(months))]
    return Panel(
        "monthly",
        _("%(year)s 年逐月出生、死亡、迁移（与 %(last)s 年同期比较）") % {"year": this_year, "last": last_year},
        {"type": "lines", "labels": labels, "series": series},
        headers,
        rows,
        link=_report_link("change", user.region.code, period=f"{this_year}-01", to=period_of(today)),
        note=_("户籍人口；按审核通过的月份计（补报计入审核月份）；虚线为上年同期。"),
    )


def progress_panel(user) -> Panel:
    result = report_run(
        user=user,
        key="progress",
        code=user.region.code,
        params=Params(period_of(clock.today()), period_of(clock.today())),
    )
    section = result.sections[0]
    keys = ["draft", "returned", "submitted", "approved"]
    labels = {c.key: str(c.label) for c in section.columns}
    rows_in = list(section.rows)
    names = [r.label for r in rows_in]
    series = [{"name": labels[k], "data": [r.values.get(k) or 0 for r in rows_in]} for k in keys]
    headers = [_("区划"), _("摸底户数"), *(labels[k] for k in keys), _("审核完成率")]
    rows = []
    for r in rows_in:
        share = r.values.get("approved_share")
        counts = [r.values.get(k) or 0 for k in keys]
        rows.append(
            [r.label, r.values.get("expected_households") or "—", *counts, "—" if share is None else f"{share:.1f}%"]
        )
    return Panel(
        "progress",
        _("采集与审核进度（%(region)s 各下级区划）") % {"region": user.region.name},
        {"type": "bars", "labels": names, "series": series},
        headers,
        rows,
        link=_report_link("progress", user.region.code),
        note=_("村不漏户：各村已录入、已退回、待审核和已审核通过的采集表户数，完成率以摸底户数为分母。"),
    )


def dashboard_panels(user) -> list[Panel]:
    """The charts for the user's region; none for a user without reports or
    below the township (a village clerk's village has no child regions)."""
    if not can_view_reports(user) or user.region is None:
        return []
    panels = [pyramid_panel(user), monthly_panel(user)]
    if user.region.level != Level.VILLAGE:
        panels.append(progress_panel(user))
    return panels
