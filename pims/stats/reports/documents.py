"""12 优质服务证件统计表 (issue 16.6): the 生育登记 of the period by 孩次 and
the 光荣证 issued, revoked and held at the period's end, by child region
(the wife's responsible region for a registration, the applying village for
a certificate), and the same by month. Set-based: one GROUP BY per base,
whatever the number of rows.

A registration counts in the month it was registered (issued) and, when
cancelled, again under 注销 in the month of the cancellation; a certificate
in the month the county issued it and, when revoked, under 撤销 in that
month. 期末持证 is the certificates held at the end of the period
(pims.documents.selectors.honour_held_q).
"""

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pims.documents.models import BirthRegistration, HonourCertificate, HonourState
from pims.documents.selectors import honour_held_q
from pims.events.periods import first_day, last_day

from ..frame import Frame
from ..tables import Column, Row, Section, sum_rows
from .base import ReportDef, result

ORDERS = [
    ("reg_1", _("第一孩"), Q(birth_order=1)),
    ("reg_2", _("第二孩"), Q(birth_order=2)),
    ("reg_3", _("第三孩"), Q(birth_order=3)),
    ("reg_4", _("第四孩及以上"), Q(birth_order__gte=4)),
]
REGISTRATION_COLUMNS = [
    Column("reg_total", _("合计"), _("生育登记")),
    *(Column(key, label, _("生育登记")) for key, label, _q in ORDERS),
    Column("reg_late", _("其中补登"), _("生育登记")),
    Column("reg_cancelled", _("注销"), _("生育登记")),
]
HONOUR_COLUMNS = [
    Column("honour_issued", _("发证"), _("独生子女父母光荣证")),
    Column("honour_revoked", _("撤销"), _("独生子女父母光荣证")),
]
MAIN = [*REGISTRATION_COLUMNS, *HONOUR_COLUMNS, Column("honour_held", _("期末持证"), _("独生子女父母光荣证"))]
MONTHLY = [*REGISTRATION_COLUMNS, *HONOUR_COLUMNS]


def bounds(frame: Frame) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) moments in the county's time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first_day(frame.params.first), dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last_day(frame.params.last) + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _within(field: str, start, end) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _registration_q(start, end) -> dict[str, Q]:
    issued = _within("issued_at", start, end) & ~Q(number="")
    return {
        "reg_total": issued,
        **{key: issued & q for key, _label, q in ORDERS},
        "reg_late": issued & Q(late=True),
        "reg_cancelled": _within("cancelled_at", start, end),
    }


def _honour_q(start, end) -> dict[str, Q]:
    issued = _within("county_at", start, end) & Q(state__in=[HonourState.ISSUED, HonourState.REVOKED])
    return {
        "honour_issued": issued & ~Q(number=""),
        "honour_revoked": _within("revoked_at", start, end),
        "honour_held": honour_held_q(end),
    }


def _by_region(frame: Frame, qs, field: str, measures: dict[str, Q]) -> dict[str, dict]:
    aggs = {k: Count("id", filter=q) for k, q in measures.items()}
    rows = frame.grouped(frame.scoped(qs, field), field).values("g").annotate(**aggs).order_by()
    return {r.pop("g"): r for r in rows}


class DocumentsReport(ReportDef):
    key = "documents"
    number = 12
    title = _("优质服务证件统计表")
    description = _("生育登记按孩次（含补登、注销）和独生子女父母光荣证发证、撤销、期末持证，按区划和月份")
    uses_kind = False
    drillable = False

    def run(self, frame: Frame):
        start, end = bounds(frame)
        data = _by_region(frame, BirthRegistration.objects.all(), "wife_code", _registration_q(start, end))
        honour = _by_region(frame, HonourCertificate.objects.all(), "region_code", _honour_q(start, end))
        for g, values in honour.items():
            data.setdefault(g, {}).update(values)
        rows, total = frame.rows(data, MAIN)
        main = Section(
            "main",
            _("按区划"),
            _("区划"),
            MAIN,
            rows,
            total,
            unit=_("件"),
            note=_(
                "生育登记按女方所属区划、登记（发证）日期计入；注销按注销日期计入。"
                "光荣证按申请村、县级发证日期计入；撤销按撤销日期计入；期末持证为期末已发证且未撤销的证件数。"
            ),
        )
        return result(
            self,
            frame,
            [main, self._monthly(frame, start, end)],
            basis=_("%(first)s 至 %(last)s 期间登记、发证、注销和撤销的证件（按日期计入月份）")
            % {"first": first_day(frame.params.first), "last": last_day(frame.params.last)},
        )

    def _monthly(self, frame: Frame, start, end) -> Section:
        tz = timezone.get_current_timezone()
        sources = [
            (BirthRegistration.objects.all(), "wife_code", "issued_at", _issued_only(_registration_q(start, end))),
            (BirthRegistration.objects.all(), "wife_code", "cancelled_at", {"reg_cancelled": Q()}),
            (
                HonourCertificate.objects.all(),
                "region_code",
                "county_at",
                {"honour_issued": _honour_q(start, end)["honour_issued"]},
            ),
            (HonourCertificate.objects.all(), "region_code", "revoked_at", {"honour_revoked": Q()}),
        ]
        data: dict[str, dict] = {}
        for qs, field, at, measures in sources:
            base = frame.scoped(qs, field).filter(_within(at, start, end))
            aggs = {k: Count("id", filter=q) for k, q in measures.items()}
            for r in base.annotate(m=TruncMonth(at, tzinfo=tz)).values("m").annotate(**aggs).order_by():
                data.setdefault(_month_key(r.pop("m")), {}).update(r)
        rows = [
            Row(key=p, label=p, values={c.key: data.get(p, {}).get(c.key, 0) for c in MONTHLY})
            for p in frame.params.periods
        ]
        return Section("months", _("按月份"), _("月份"), MONTHLY, rows, sum_rows(rows, MONTHLY), unit=_("件"))


def _issued_only(measures: dict[str, Q]) -> dict[str, Q]:
    return {k: q for k, q in measures.items() if k != "reg_cancelled"}


def _month_key(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%Y-%m")
