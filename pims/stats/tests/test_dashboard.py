"""The dashboard's charts (issue 15.13): for the user's own region, each with
its table and export; figures agree with the statistics reports."""

from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.events.models import Spell
from pims.events.periods import previous_period
from pims.stats.dashboard import dashboard_panels
from pims.stats.frame import Params
from pims.stats.selectors import report_run

from .conftest import THIS_MONTH


def test_operator_dashboard_shows_pyramid_months_and_progress(world, personas, regions, client_for):
    operator = personas["operator"]
    panels = {p.key: p for p in dashboard_panels(operator)}
    assert set(panels) == {"pyramid", "monthly", "progress"}

    last = previous_period(THIS_MONTH)
    for column, kind in ((1, Spell.Kind.REGISTERED), (3, Spell.Kind.RESIDENT)):
        report = report_run(
            user=operator, key="population", code=regions["township_a"].code, params=Params(last, last, kind)
        )
        total = report.section("ages").total.values["total"]
        assert sum(r[column] + r[column + 1] for r in panels["pyramid"].rows) == total

    month = int(THIS_MONTH[5:]) - 1
    births_this_year = panels["monthly"].headers.index(f"出生（{THIS_MONTH[:4]}）")
    assert panels["monthly"].rows[month][births_this_year] == 1  # 张小刚, approved this month

    progress = {r[0]: r for r in panels["progress"].rows}
    assert set(progress) == {"大孤家子村委会", "拉马桥村委会"}

    body = client_for("operator").get(reverse("web:dashboard")).content.decode()
    assert 'data-dashboard-chart="chart-pyramid"' in body and 'id="chart-monthly"' in body
    assert 'data-testid="panel-table-progress"' in body and "拉马桥村委会" in body
    assert "vendor/echarts/echarts.min.js" in body


def test_panel_export_is_csv_and_audited(world, personas, client_for):
    response = client_for("operator").get(reverse("web:panel_export", args=["progress"]))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv") and "大孤家子村委会" in text
    entry = AuditEntry.objects.get(action=Action.EXPORT, actor=personas["operator"])
    assert entry.detail["what"] == "dashboard_panel" and entry.detail["report"] == "progress"
    assert client_for("operator").get(reverse("web:panel_export", args=["nothing"])).status_code == 404


def test_outsider_charts_show_only_their_own_township(world, personas, client_for):
    panels = {p.key: p for p in dashboard_panels(personas["outsider"])}
    assert [r[0] for r in panels["progress"].rows] == ["三面船村委会"]
    body = client_for("outsider").get(reverse("web:dashboard")).content.decode()
    assert "大孤家子村委会" not in body and "拉马桥村委会" not in body
    assert dashboard_panels(personas["auditor"]) == [] and dashboard_panels(personas["sysadmin"]) == []
