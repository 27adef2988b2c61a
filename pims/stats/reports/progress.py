"""7 信息采集/录入进度 and 6 摸底 tables: collection forms per child region
against the head-count baseline (摸底, the latest `VillageBaseline` of each
village). Status as of now — the period does not apply.

Forms are households in the register: 已录入 every form typed in (any
state), then by workflow state; 已上传 the approved forms whose approval
month the province has acknowledged (pims.approval: a township's month is
uploaded once the bundle carrying it is acknowledged).
"""

import datetime as dt

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pims.approval.models import PeriodApproval
from pims.events.periods import first_day, next_period
from pims.lib import clock
from pims.regions.models import Level, Region
from pims.regions.scope import scope_q
from pims.registry.models import FormState, Household, Person, PersonStatus
from pims.registry.models.sampling import VillageBaseline

from ..frame import Frame
from ..tables import Column, Section, ratio
from .base import Measure, ReportDef, grouped_counts, result

PROGRESS = [
    Column("expected_households", _("摸底户数"), measure=None),
    Column("entered", _("合计"), _("已录入采集表（户）"), measure="entered"),
    Column("draft", _("草稿"), _("已录入采集表（户）"), measure="draft"),
    Column("returned", _("已退回"), _("已录入采集表（户）"), measure="returned"),
    Column("submitted", _("已提交待审核"), _("已录入采集表（户）"), measure="submitted"),
    Column("approved", _("已审核通过"), _("已录入采集表（户）"), measure="approved"),
    Column("uploaded", _("已上传"), _("已录入采集表（户）"), measure="uploaded"),
    Column("persons", _("已录入人数"), measure=None),
    Column("entered_share", _("录入完成率"), fmt="pct1"),
    Column("approved_share", _("审核完成率"), fmt="pct1"),
]
DISTRIBUTION = [
    Column("villages", _("村（居）委会数"), measure=None),
    Column("villages_with_baseline", _("已摸底村数"), measure=None),
    Column("expected_households", _("摸底户数"), measure=None),
    Column("expected_persons", _("摸底人数"), measure=None),
]
HEADCOUNT = [
    Column("expected_households", _("摸底"), _("户数"), measure=None),
    Column("entered", _("已采集"), _("户数"), measure="entered"),
    Column("households_diff", _("差额"), _("户数")),
    Column("households_share", _("完成率"), _("户数"), fmt="pct1"),
    Column("expected_persons", _("摸底"), _("人数"), measure=None),
    Column("persons", _("已采集"), _("人数"), measure=None),
    Column("persons_diff", _("差额"), _("人数")),
    Column("persons_share", _("完成率"), _("人数"), fmt="pct1"),
]


def _form_q(prefix: str = "") -> dict[str, Q]:
    return {
        "entered": Q(),
        "draft": Q(form_state=FormState.DRAFT),
        "returned": Q(form_state=FormState.RETURNED),
        "submitted": Q(form_state=FormState.SUBMITTED),
        "approved": Q(form_state=FormState.APPROVED),
        "uploaded": _uploaded_q(prefix),
    }


def _month_start(period: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(first_day(period), dt.time()), timezone.get_default_timezone())


def _uploaded_q(prefix: str) -> Q:
    """Approved forms whose township month (the month of their approval) has
    been uploaded: one OR term per uploaded township month (a few dozen a year)."""
    q = Q(pk__in=[])
    months = PeriodApproval.objects.filter(region_code__startswith=prefix[:9], uploaded_at__isnull=False).values_list(
        "region_code", "period"
    )
    for code, period in months:
        q |= Q(
            region_code__startswith=code[:9],
            approved_at__gte=_month_start(period),
            approved_at__lt=_month_start(next_period(period)),
        )
    return Q(form_state=FormState.APPROVED) & q


def _households(frame: Frame):
    return frame.grouped(frame.scoped(Household.objects.filter(status=Household.Status.ACTIVE)))


def collection_counts(frame: Frame) -> dict[str, dict]:
    """Forms by state, persons entered and the baseline per row: three
    queries whatever the number of villages."""
    data = grouped_counts(_households(frame), _form_q(frame.prefix))
    persons = (
        frame.scoped(
            Person.objects.filter(status=PersonStatus.ACTIVE, household__status=Household.Status.ACTIVE),
            "household__region_code",
        )
        .annotate(g=Substr("household__region_code", 1, frame.n))
        .values("g")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in persons:
        data.setdefault(r["g"], {})["persons"] = r["n"]
    latest = VillageBaseline.objects.filter(village=OuterRef("pk")).order_by("-entered_at", "-id")
    villages = (
        Region.objects.filter(
            scope_q(frame.user, "code"), code__startswith=frame.prefix, level=Level.VILLAGE, valid_to__isnull=True
        )
        .annotate(
            exp_hh=Subquery(latest.values("expected_households")[:1]),
            exp_p=Subquery(latest.values("expected_persons")[:1]),
        )
        .values_list("code", "exp_hh", "exp_p")
    )
    for code, hh, p in villages:
        d = data.setdefault(code[: frame.n], {})
        d["villages"] = d.get("villages", 0) + 1
        if hh is not None:
            d["villages_with_baseline"] = d.get("villages_with_baseline", 0) + 1
            d["expected_households"] = d.get("expected_households", 0) + hh
            d["expected_persons"] = d.get("expected_persons", 0) + p
    return data


def _households_drill(frame: Frame, measure_key: str):
    q = _form_q(frame.prefix).get(measure_key)
    return None if q is None else _households(frame).filter(q).order_by("region_code", "number")


class ProgressReport(ReportDef):
    key = "progress"
    number = 7
    title = _("信息采集录入进度表")
    description = _("各乡镇、村采集表录入、提交、审核、上传户数，对照摸底户数的完成率")
    uses_period = False
    uses_kind = False

    def measures(self, frame):
        labels = {c.key: c.label for c in PROGRESS}
        labels["entered"] = _("已录入采集表")
        return {k: Measure("households", (lambda f, q=q: q), labels[k]) for k, q in _form_q(frame.prefix).items()}

    def drill(self, frame, measure_key):
        return _households_drill(frame, measure_key)

    def run(self, frame: Frame):
        def derive(v):
            return {
                "entered_share": ratio(v["entered"], v["expected_households"], 100),
                "approved_share": ratio(v["approved"], v["expected_households"], 100),
            }

        rows, total = frame.rows(collection_counts(frame), PROGRESS, derive)
        section = Section(
            "main",
            _("信息采集录入进度"),
            _("区划"),
            PROGRESS,
            rows,
            total,
            unit=_("户（人数列为人）"),
            note=_(
                "已上传：审核通过月份已由县级确认并经省级确认收到数据包的采集表。完成率以摸底户数为分母，未录入摸底基数的村不计。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("截至 %(day)s 系统中的采集表（户）；摸底户数为各村最近一次录入的摸底基数。")
            % {"day": clock.today()},
        )


class BaselineReport(ReportDef):
    key = "baseline"
    number = 6
    title = _("摸底调查统计表")
    description = _("行政区划分布情况调查表（村数、户数、人口）；辖区内总人口摸底调查情况统计表")
    uses_period = False
    uses_kind = False

    def measures(self, frame):
        return {"entered": Measure("households", lambda f: Q(), _("已采集户数"))}

    def drill(self, frame, measure_key):
        return _households_drill(frame, measure_key)

    def run(self, frame: Frame):
        data = collection_counts(frame)

        def derive(v):
            eh, ep = v.get("expected_households", 0), v.get("expected_persons", 0)
            return {
                "households_diff": v["entered"] - eh,
                "households_share": ratio(v["entered"], eh, 100),
                "persons_diff": v["persons"] - ep,
                "persons_share": ratio(v["persons"], ep, 100),
            }

        rows, total = frame.rows(data, DISTRIBUTION)
        distribution = Section(
            "distribution",
            _("行政区划分布情况调查表"),
            _("区划"),
            DISTRIBUTION,
            rows,
            total,
            unit=_("个、户、人"),
            note=_("户数、人口为摸底（入户前的基数）数字。"),
        )
        rows2, total2 = frame.rows(data, HEADCOUNT, derive)
        headcount = Section(
            "headcount",
            _("辖区内总人口摸底调查情况统计表"),
            _("区划"),
            HEADCOUNT,
            rows2,
            total2,
            unit=_("户、人"),
            note=_("差额 = 已采集 − 摸底；完成率 = 已采集 ÷ 摸底。"),
        )
        return result(
            self,
            frame,
            [distribution, headcount],
            basis=_("截至 %(day)s：摸底数为各村最近一次录入的摸底基数，已采集数为系统中的采集表及其人员。")
            % {"day": clock.today()},
        )
