"""Month close: refused while the month runs or a report is open; closed
figures come from the cells and equal the live figures at closing, never
change afterwards (a later correction changes the live figures only);
reopening needs a reason, is audited, and a new close writes new cells."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pims.audit.models import AuditEntry
from pims.events import services as events
from pims.registry.models import Person
from pims.stats import selectors, services
from pims.stats.frame import Params
from pims.stats.models import ClosedStock, MonthClose
from pims.stats.services import StatsError

from .conftest import LAST_MONTH, THIS_MONTH


def figures(personas, regions, key, period, level="county"):
    result = selectors.report_run(user=personas["county"], key=key, code=regions[level].code,
                                  params=Params(period, period))  # fmt: skip
    return result, {(s.key, r.label): dict(r.values) for s in result.sections for r in s.all_rows()}


def test_close_reads_cells_that_never_change_and_reopen_is_audited(world, personas, regions, client_for):
    county = personas["county"]
    with pytest.raises(StatsError, match="尚未结束"):
        services.month_close(actor=county, region=regions["county"], period=THIS_MONTH)
    with pytest.raises(StatsError, match="县管理员"):
        services.month_close(actor=personas["reviewer"], region=regions["county"], period=LAST_MONTH)
    draft = events.change_report_create(actor=personas["clerk"], region_code=regions["village_a1"].code,
                                        period=LAST_MONTH)  # fmt: skip
    with pytest.raises(StatsError, match="未审核通过"):
        services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)
    draft.delete()

    live = {key: figures(personas, regions, key, LAST_MONTH)[1] for key in ("population", "change")}
    live_now = figures(personas, regions, "change", THIS_MONTH)[1]
    close = services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)
    assert close.spells == 24 and ClosedStock.objects.filter(close=close).exists()
    for key in ("population", "change"):
        result, closed = figures(personas, regions, key, LAST_MONTH)
        assert result.closed and closed == live[key], key
    # This month's start now comes from last month's cells: the same figures.
    assert figures(personas, regions, "change", THIS_MONTH)[1] == live_now
    with pytest.raises(StatsError, match="已经月结"):
        services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)

    # A later correction of a person's sex changes live figures, not the closed month.
    Person.objects.filter(name="张小明").update(sex="2")
    assert figures(personas, regions, "population", LAST_MONTH)[1] == live["population"]
    with CaptureQueriesContext(connection) as ctx:
        figures(personas, regions, "population", LAST_MONTH, level="township_a")
    assert not any("events_spell" in q["sql"] for q in ctx.captured_queries)  # cells, not spells

    with pytest.raises(StatsError, match="原因"):
        services.month_reopen(actor=county, close=close, reason=" ")
    services.month_reopen(actor=county, close=close, reason="补录漏报的户")
    entry = AuditEntry.objects.filter(object_type="stats.monthclose", detail__transition="reopen").get()
    assert entry.detail["reason"] == "补录漏报的户" and entry.actor == county
    result, reopened = figures(personas, regions, "population", LAST_MONTH)
    assert not result.closed and reopened != live["population"]  # live again, with the correction
    again = services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)
    assert again.pk != close.pk and MonthClose.objects.filter(period=LAST_MONTH).count() == 2
    assert figures(personas, regions, "population", LAST_MONTH)[1] == reopened

    # The page and the command use the same service.
    page = client_for("county")
    assert page.get(reverse("stats:close_list")).status_code == 200
    assert client_for("reviewer").get(reverse("stats:close_list")).status_code == 404
    assert (
        client_for("outsider").post(reverse("stats:close_reopen", args=[again.pk]), {"reason": "xxxx"}).status_code
        == 404
    )
    response = page.post(reverse("stats:close_reopen", args=[again.pk]), {"reason": "重新核对迁移"})
    assert response.status_code == 302 and MonthClose.objects.get(pk=again.pk).reopened_at is not None
    call_command("close_month", regions["county"].code, LAST_MONTH)
    assert MonthClose.objects.filter(period=LAST_MONTH, reopened_at__isnull=True).count() == 1
    with pytest.raises(CommandError, match="原因"):
        call_command("close_month", regions["county"].code, LAST_MONTH, "--reopen")
