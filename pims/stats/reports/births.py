"""3 出生情况: births of the period (birth spells opened in its approval
months) by sex, birth order (孩次) and the mother's age at the birth; sex
ratio at birth; share with a birth medical certificate (出生医学证明).

The figures are filters over four dimensions (x_sex, x_order, mage,
x_cert): annotated on the birth spells when live, read from the month-close
cells (`ClosedBirth`) when every month of the period is closed — the same
filters over either, so the closed figures are the live ones at closing.
"""

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.lib.dates import AgeInYears

from ..closes import current_closes
from ..frame import Frame
from ..models import ClosedBirth
from ..tables import Column, Section, ratio
from .base import CLOSED_NOTE, Measure, ReportDef, closed_cells, grouped_counts, result, spell_base

MOTHER_GROUPS = [
    ("m_u20", _("20岁以下"), None, 19),
    ("m_20", _("20–24岁"), 20, 24),
    ("m_25", _("25–29岁"), 25, 29),
    ("m_30", _("30–34岁"), 30, 34),
    ("m_35", _("35–39岁"), 35, 39),
    ("m_40", _("40岁及以上"), 40, None),
]

COLUMNS = [
    Column("births", _("出生合计"), measure="births"),
    Column("male", _("男"), _("性别"), measure="male"),
    Column("female", _("女"), _("性别"), measure="female"),
    Column("order1", _("一孩"), _("孩次"), measure="order1"),
    Column("order2", _("二孩"), _("孩次"), measure="order2"),
    Column("order3", _("三孩及以上"), _("孩次"), measure="order3"),
    Column("order_unknown", _("不详"), _("孩次"), measure="order_unknown"),
    *[Column(k, label, _("母亲生育年龄"), measure=k) for k, label, _lo, _hi in MOTHER_GROUPS],
    Column("mother_unknown", _("不详"), _("母亲生育年龄"), measure="mother_unknown"),
    Column("certified", _("有出生医学证明"), measure="certified"),
    Column("srb", _("出生性别比（女=100）"), fmt="dec1"),
    Column("certified_share", _("出生医学证明登记率"), fmt="pct1"),
]


def _q(frame: Frame) -> dict[str, Q]:
    out = {
        "births": Q(),
        "male": Q(x_sex="1"),
        "female": Q(x_sex="2"),
        "order1": Q(x_order=1),
        "order2": Q(x_order=2),
        "order3": Q(x_order__gte=3),
        "order_unknown": Q(x_order__isnull=True),
        "mother_unknown": Q(mage__isnull=True),
        "certified": Q(x_cert=True),
    }
    for key, _label, lo, hi in MOTHER_GROUPS:
        q = Q(mage__isnull=False)
        if lo is not None:
            q &= Q(mage__gte=lo)
        if hi is not None:
            q &= Q(mage__lte=hi)
        out[key] = q
    return out


def derive(v: dict) -> dict:
    return {"srb": ratio(v["male"], v["female"], 100), "certified_share": ratio(v["certified"], v["births"], 100)}


class BirthsReport(ReportDef):
    key = "births"
    number = 3
    title = _("出生情况统计表")
    description = _("出生人数按性别、孩次、母亲生育年龄；出生人口性别比；出生医学证明登记率")

    def measures(self, frame):
        labels = {c.key: c.label for c in COLUMNS}
        return {k: Measure("births", (lambda f, q=q: q), _("出生 · ") + labels[k]) for k, q in _q(frame).items()}

    def base(self, frame: Frame):
        """The birth spells of the period with the four dimensions (the
        month close groups the same queryset into its cells)."""
        return (
            spell_base(frame, "opened")
            .filter(open_reason=Spell.Opened.BIRTH)
            .annotate(
                x_sex=F("person__sex"),
                x_order=F("person__birth__birth_order"),
                mage=AgeInYears("person__birth__mother__birth_date", "person__birth_date"),
                x_cert=Case(
                    When(person__birth__certificate_no__gt="", then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
        )

    def cells(self, frame: Frame, close_ids: list[int]):
        return closed_cells(frame, ClosedBirth, close_ids, kind=frame.params.kind).annotate(
            x_sex=F("sex"), x_order=F("birth_order"), mage=F("mother_age"), x_cert=F("certified")
        )

    def drill(self, frame, measure_key):
        q = _q(frame).get(measure_key)
        return None if q is None else self.base(frame).filter(q)

    def run(self, frame: Frame):
        p = frame.params
        closes = current_closes(frame.region, p.periods)
        closed = all(period in closes for period in p.periods)
        if closed:
            ids = [pk for period in p.periods for pk in closes[period]]
            data = grouped_counts(self.cells(frame, ids), _q(frame), weight="n")
        else:
            data = grouped_counts(self.base(frame), _q(frame))
        rows, total = frame.rows(data, COLUMNS, derive)
        section = Section(
            "main",
            _("出生情况"),
            _("区划"),
            COLUMNS,
            rows,
            total,
            note=_("孩次为母亲的第几个孩子；母亲生育年龄为婴儿出生时母亲的周岁。"),
        )
        return result(
            self,
            frame,
            [section],
            basis=_(
                "%(kind)s；期内审核通过的出生登记（补报计入审核当月）。"
                "生育登记（生育服务证）由证书模块提供，尚未纳入本表。"
            )
            % {"kind": frame.params.kind_label},
            notes=[CLOSED_NOTE] if closed else [],
            closed=closed,
        )


# --- 出生人口监测（年度）: today's monitoring figures -------------------------------

ORDERS = [
    ("o1", _("一孩"), Q(x_order=1)),
    ("o2", _("二孩"), Q(x_order=2)),
    ("o3", _("三孩及以上"), Q(x_order__gte=3)),
    ("all", _("合计"), Q()),
]


def _monitoring_q() -> dict[str, Q]:
    out: dict[str, Q] = {}
    for key, _label, q in ORDERS:
        out[f"{key}_births"] = q
        out[f"{key}_male"] = q & Q(x_sex="1")
        out[f"{key}_female"] = q & Q(x_sex="2")
    out["order_unknown"] = Q(x_order__isnull=True)
    return out


def monitoring_columns() -> list[Column]:
    out = []
    for key, label, _q in ORDERS:
        out += [
            Column(f"{key}_births", _("出生"), label, measure=f"{key}_births"),
            Column(f"{key}_male", _("男"), label, measure=f"{key}_male"),
            Column(f"{key}_female", _("女"), label, measure=f"{key}_female"),
            Column(f"{key}_srb", _("性别比"), label, fmt="dec1"),
            Column(f"{key}_share", _("占出生"), label, fmt="pct1"),
        ]
    out.append(Column("order_unknown", _("孩次不详"), measure="order_unknown"))
    return out


def monitoring_derive(v: dict) -> dict:
    out = {}
    for key, _label, _q in ORDERS:
        out[f"{key}_srb"] = ratio(v[f"{key}_male"], v[f"{key}_female"], 100)
        out[f"{key}_share"] = ratio(v[f"{key}_births"], v["all_births"], 100)
    return out


class BirthMonitoringReport(BirthsReport):
    """The default annual report: births by order 1 / 2 / 3+ with the sex
    ratio at birth of each order, over the statistical year unless another
    period is chosen (the same birth spells and closed cells as 3 出生情况)."""

    key = "monitoring"
    number = 11
    title = _("出生人口监测表（年度）")
    description = _("默认年度报表：一孩、二孩、三孩及以上出生数及各孩次出生人口性别比（默认当前统计年度）")
    default_preset = "stat_year"

    def measures(self, frame):
        labels = {c.key: f"{c.group}{c.label}" for c in monitoring_columns()}
        return {k: Measure("births", (lambda f, q=q: q), _("出生 · ") + labels[k]) for k, q in _monitoring_q().items()}

    def drill(self, frame, measure_key):
        q = _monitoring_q().get(measure_key)
        return None if q is None else self.base(frame).filter(q)

    def run(self, frame: Frame):
        p = frame.params
        closes = current_closes(frame.region, p.periods)
        closed = all(period in closes for period in p.periods)
        if closed:
            ids = [pk for period in p.periods for pk in closes[period]]
            data = grouped_counts(self.cells(frame, ids), _monitoring_q(), weight="n")
        else:
            data = grouped_counts(self.base(frame), _monitoring_q())
        cols = monitoring_columns()
        rows, total = frame.rows(data, cols, monitoring_derive)
        section = Section(
            "main",
            _("出生人口监测"),
            _("区划"),
            cols,
            rows,
            total,
            note=_(
                "性别比 = 男婴 ÷ 女婴 × 100（女=100）；占出生为该孩次出生占全部出生的比例；孩次为母亲的第几个孩子。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；期内审核通过的出生登记（补报计入审核当月）") % {"kind": frame.params.kind_label},
            notes=[CLOSED_NOTE] if closed else [],
            closed=closed,
        )
