"""8 数据质量: completeness (村不漏户、户不漏人、人不漏项、项不出错) and the
latest batch logic check per village (pims.registry.completeness, one set of
GROUP BYs for all villages), summed to the child regions."""

from django.utils.translation import gettext_lazy as _

from pims.lib import clock
from pims.registry.completeness import completeness_by_village

from ..frame import Frame
from ..tables import Column, Section, ratio
from .base import ReportDef, result

COLUMNS = [
    Column("expected_households", _("摸底户数"), _("村不漏户")),
    Column("households", _("已采集户数"), _("村不漏户")),
    Column("households_share", _("完成率"), _("村不漏户"), fmt="pct1"),
    Column("expected_persons", _("摸底人数"), _("户不漏人")),
    Column("persons", _("已采集人数"), _("户不漏人")),
    Column("persons_share", _("完成率"), _("户不漏人"), fmt="pct1"),
    Column("per_household", _("户均人数"), _("户不漏人"), fmt="dec2"),
    Column("persons_complete", _("项目齐全人数"), _("人不漏项")),
    Column("complete_share", _("占比"), _("人不漏项"), fmt="pct1"),
    Column("villages_checked", _("已批量审核村数"), _("项不出错")),
    Column("persons_with_errors", _("有错误人数"), _("项不出错")),
    Column("households_with_errors", _("有错误户数"), _("项不出错")),
    Column("correct_share", _("无错误占比"), _("项不出错"), fmt="pct1"),
]
SUMMED = (
    "expected_households",
    "households",
    "expected_persons",
    "persons",
    "persons_complete",
    "villages_checked",
    "persons_with_errors",
    "households_with_errors",
    "households_in_baseline",
    "persons_in_baseline",
    "persons_checked",
)


class QualityReport(ReportDef):
    key = "quality"
    number = 8
    title = _("数据质量统计表")
    description = _("村不漏户、户不漏人、人不漏项、项不出错：按区划汇总完整性与最近一次批量逻辑审核结果")
    uses_period = False
    uses_kind = False
    drillable = False

    def run(self, frame: Frame):
        report = completeness_by_village(user=frame.user, region=frame.region)
        data: dict[str, dict] = {}
        for f in report.villages:
            assert f.village is not None  # the per-village rows (the totals row is report.total)
            d = data.setdefault(f.village.code[: frame.n], dict.fromkeys(SUMMED, 0))
            d["expected_households"] += f.expected_households or 0
            d["expected_persons"] += f.expected_persons or 0
            d["households"] += f.households
            d["persons"] += f.persons
            d["persons_complete"] += f.persons_complete
            d["households_in_baseline"] += f.households_in_baseline
            d["persons_in_baseline"] += f.persons_in_baseline
            if f.run is not None:
                d["villages_checked"] += 1
                d["persons_with_errors"] += f.persons_with_errors or 0
                d["households_with_errors"] += f.households_with_errors or 0
                d["persons_checked"] += f.persons_checked

        def derive(v):
            return {
                "households_share": ratio(v["households_in_baseline"], v["expected_households"], 100),
                "persons_share": ratio(v["persons_in_baseline"], v["expected_persons"], 100),
                "per_household": ratio(v["persons"], v["households"]),
                "complete_share": ratio(v["persons_complete"], v["persons"], 100),
                "correct_share": ratio(
                    max(v["persons_checked"] - v["persons_with_errors"], 0), v["persons_checked"], 100
                ),
            }

        hidden = [Column(k, k) for k in ("households_in_baseline", "persons_in_baseline", "persons_checked")]
        rows, total = frame.rows(data, [*COLUMNS, *hidden], derive)
        section = Section(
            "main",
            _("数据质量"),
            _("区划"),
            COLUMNS,
            rows,
            total,
            unit=_("户、人"),
            note=_(
                "完成率只计有摸底基数的村；无错误占比只计做过批量审核的村（取各村最近一次已完成的批量审核）。"
                "逐村明细见“完整性统计”页面。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("截至 %(day)s：系统中正常状态的户和人员；错误为逻辑审核规则中“错误”级别的命中。")
            % {"day": clock.today()},
        )
