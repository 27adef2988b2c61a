"""The monthly exchange report (双向考核, issue 18.6): per township of a
county (and the county's own node), per kind, for one month:

- 发出: messages the node sent in the month;
- 接收: messages the node signed for in the month;
- 按期办结: 协查 answered and 交接 confirmed in the month, on or before
  their due date (the receiver's merit);
- 逾期: messages to the node whose due date fell in the month and which
  were not done by it (the receiver's fault; each counted once, in the
  month its deadline passed).

Built as a statistics `Result` (pims.stats.tables), so the page, Excel, CSV
and PDF are the statistics' own renderings. Four grouped queries, whatever
the number of townships.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from pims.events.periods import first_day, last_day
from pims.regions.models import Level, Region
from pims.stats.tables import Column, Result, Row, Section, sum_rows

from . import rules, selectors
from .models import Kind, State

COLUMNS = [
    Column("sent", _("发出")),
    Column("received", _("接收")),
    Column("on_time", _("按期办结")),
    Column("overdue", _("逾期")),
]
DONE_STATES = (State.ANSWERED, State.CONFIRMED)


def nodes_of(region: Region) -> list[Region]:
    """The report's rows: a county's townships and the county itself; a
    township alone."""
    if region.level == Level.TOWNSHIP:
        return [region]
    children = list(Region.objects.filter(parent=region, level=Level.TOWNSHIP, valid_to__isnull=True).order_by("code"))
    return [*children, region]


def _counts(qs, code_field: str, date_filter: Q) -> dict[tuple[str, str], int]:
    rows = qs.filter(date_filter).values(code_field, "kind").annotate(n=Count("pk"))
    return {(r[code_field], r["kind"]): r["n"] for r in rows}


def exchange_report(*, user, region: Region, period: str) -> Result:
    first, last = first_day(period), last_day(period)
    nodes = nodes_of(region)
    codes = [n.code for n in nodes]
    visible = selectors.message_list_visible_to(user=user)
    month = Q(day__range=(first, last))
    sent = _counts(
        visible.filter(sender_code__in=codes).annotate(day=TruncDate("sent_at")),
        "sender_code",
        month,
    )
    received = _counts(
        visible.filter(receiver_code__in=codes).annotate(day=TruncDate("received_at")),
        "receiver_code",
        month,
    )
    on_time = _counts(
        visible.filter(receiver_code__in=codes, state__in=DONE_STATES).annotate(day=TruncDate("closed_at")),
        "receiver_code",
        Q(day__range=(first, last), day__lte=F("due_date")),
    )
    overdue = _counts(
        visible.filter(receiver_code__in=codes, due_date__range=(first, last)).annotate(day=TruncDate("closed_at")),
        "receiver_code",
        ~Q(state__in=(State.WITHDRAWN,)) & (Q(closed_at__isnull=True) | Q(day__gt=F("due_date"))),
    )
    measures = {"sent": sent, "received": received, "on_time": on_time, "overdue": overdue}
    sections = [_section("all", _("合计"), nodes, measures, Kind.values, region)]
    sections += [_section(k.value, k.label, nodes, measures, [k.value], region) for k in Kind]
    return Result(
        report_key="exchange",
        number=0,
        title=_("信息交换情况月报"),
        region=region,
        period_label=period,
        basis=_("发出、接收按发出和签收日期计；按期办结为在期限内反馈的协查和确认的交接；逾期按期限所在月计"),
        sections=sections,
        first=period,
        last=period,
    )


def _section(key, title, nodes, measures, kinds, region) -> Section:
    rows = []
    for node in nodes:
        values = {m: sum(counts.get((node.code, k), 0) for k in kinds) for m, counts in measures.items()}
        label = _("%(name)s本级") % {"name": node.name} if node.pk == region.pk and len(nodes) > 1 else node.name
        rows.append(Row(key=node.code, label=label, values=values, code=node.code))
    return Section(
        key=key,
        title=title,
        row_header=_("单位"),
        columns=COLUMNS,
        rows=rows,
        total=sum_rows(rows, COLUMNS),
        unit=_("件"),
    )


def can_report(user, region: Region) -> bool:
    """A county or township node's report, for a user who acts in or above it."""
    prefix = getattr(getattr(user, "region", None), "prefix", None)
    return (
        region.level in (Level.TOWNSHIP, Level.COUNTY)
        and prefix is not None
        and region.code.startswith(prefix)
        and rules.node_code(region.code, region.level) == region.code
    )


def default_period(today: dt.date) -> str:
    """Last month: the report is read after the month's cut-off."""
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"
