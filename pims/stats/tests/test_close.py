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
from pims.events.models import ChangeReport, Event, Spell
from pims.events.periods import previous_period
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry.models import Person
from pims.stats import errors, selectors, services
from pims.stats.frame import Params
from pims.stats.models import ClosedStock, MonthClose
from pims.testing.errors import refused

from .conftest import LAST_MONTH, THIS_MONTH, TODAY

TODAY_AWARE = clock.now()


@pytest.fixture(autouse=True)
def every_village_reported(db, personas):
    """Every village filed its (empty) report for the months these tests close
    — month close refuses while a village has not reported (tested below).
    Written directly: the state the services would reach, without their steps."""
    from pims.regions.models import Level, Region

    made = []
    for village in Region.objects.filter(level=Level.VILLAGE):
        for period in (previous_period(LAST_MONTH), LAST_MONTH, THIS_MONTH):
            made.append(
                ChangeReport(
                    region=village,
                    region_code=village.code,
                    period=period,
                    state="approved",
                    created_by=personas["county"],
                    submitted_at=TODAY_AWARE,
                )
            )
    ChangeReport.objects.bulk_create(made)


def correct_sex(personas, regions, *changes):
    """File and approve this month's corrections of sex: (person, before, after) …"""
    report = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=THIS_MONTH
    )
    for person, before, after in changes if isinstance(changes[0], tuple) else [changes]:
        events.event_file(
            actor=personas["clerk"],
            report=report,
            event_type="correction",
            data={
                "person": person.pk,
                "field": "sex",
                "before": before,
                "after": after,
                "effective_date": TODAY.isoformat(),
            },
        )
    events.change_report_submit(actor=personas["clerk"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=report)


def figures(personas, regions, key, period, level="county"):
    result = selectors.report_run(
        user=personas["county"], key=key, code=regions[level].code, params=Params(period, period)
    )
    return result, {(s.key, r.label): dict(r.values) for s in result.sections for r in s.all_rows()}


def test_close_reads_cells_that_never_change_and_reopen_is_audited(world, personas, regions, client_for):
    county = personas["county"]
    with refused(Conflict, errors.CLOSE_PERIOD_NOT_OVER):
        services.month_close(actor=county, region=regions["county"], period=THIS_MONTH)
    with refused(NotPermitted, errors.CLOSE_NOT_YOURS):
        services.month_close(actor=personas["reviewer"], region=regions["county"], period=LAST_MONTH)
    draft = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=LAST_MONTH
    )
    with refused(Conflict, errors.CLOSE_REPORTS_OPEN):
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
    with refused(Conflict, errors.CLOSE_ALREADY):
        services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)

    # A later correction of a person's sex (through the event services)
    # changes live figures, not the closed month.
    correct_sex(personas, regions, Person.objects.filter(name="张小明", household=world["a1"]).first(), "1", "2")
    assert figures(personas, regions, "population", LAST_MONTH)[1] == live["population"]
    with CaptureQueriesContext(connection) as ctx:
        figures(personas, regions, "population", LAST_MONTH, level="township_a")
    assert not any("events_spell" in q["sql"] for q in ctx.captured_queries)  # cells, not spells

    with refused(Invalid, errors.REOPEN_NEEDS_REASON):
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


PREV_MONTH = previous_period(LAST_MONTH)


@pytest.fixture
def past_world(world):
    """The built county one month earlier: this month's approved events
    count in last month and the baseline in the month before, so that last
    month holds a birth and flows and can be closed."""
    shift = {LAST_MONTH: PREV_MONTH, THIS_MONTH: LAST_MONTH}
    for old, new in shift.items():  # LAST first, so nothing moves twice
        Event.objects.filter(approved_period=old).update(approved_period=new)
        Spell.objects.filter(open_period=old).update(open_period=new)
        Spell.objects.filter(close_period=old).update(close_period=new)
        ChangeReport.objects.filter(period=old).update(period=new)
    return world


def period_figures(personas, regions, key, kind=Spell.Kind.REGISTERED):
    result = selectors.report_run(
        user=personas["county"], key=key, code=regions["county"].code, params=Params(LAST_MONTH, LAST_MONTH, kind)
    )
    return result, {(s.key, r.label): dict(r.values) for s in result.sections for r in s.all_rows()}


PERIOD_REPORTS = [("births", Spell.Kind.REGISTERED), ("women", Spell.Kind.RESIDENT), ("flow", Spell.Kind.REGISTERED)]


def test_births_women_and_flows_of_a_closed_month_survive_later_corrections(past_world, personas, regions):
    county = personas["county"]
    live = {key: period_figures(personas, regions, key, kind)[1] for key, kind in PERIOD_REPORTS}
    assert live["births"][("main", "合计")]["births"] == 1
    assert live["flow"][("main", "合计")]["in_female"] == 1 and live["flow"][("out", "合计")]["out_total"] == 1
    women = live["women"][("main", "合计")]["women"]
    assert women >= 1

    for period in (PREV_MONTH, LAST_MONTH):
        services.month_close(actor=county, region=regions["county"], period=period)
    for key, kind in PERIOD_REPORTS:
        with CaptureQueriesContext(connection) as ctx:
            result, closed = period_figures(personas, regions, key, kind)
        assert result.closed and closed == live[key], key
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "events_spell" not in sql and "events_event" not in sql, key  # cells, not the register

    # This month the register learns that the newborn is a girl and that 赵六
    # (the woman who came to live in A1) is a man: corrections through the
    # event services, approved now.
    a1 = {p.name: p for p in Person.objects.filter(household=past_world["a1"])}
    correct_sex(personas, regions, (a1["张小刚"], "1", "2"), (a1["赵六"], "2", "1"))
    assert Person.objects.get(pk=a1["张小刚"].pk).sex == "2"

    for key, kind in PERIOD_REPORTS:
        result, closed = period_figures(personas, regions, key, kind)
        assert result.closed and closed == live[key], key

    close = MonthClose.objects.get(period=LAST_MONTH, reopened_at__isnull=True)
    services.month_reopen(actor=county, close=close, reason="出生性别登记错误，重新统计")
    assert AuditEntry.objects.filter(object_id=str(close.pk), detail__transition="reopen").exists()
    reopened = {key: period_figures(personas, regions, key, kind) for key, kind in PERIOD_REPORTS}
    assert not any(result.closed for result, _ in reopened.values())
    births = reopened["births"][1][("main", "合计")]
    assert (births["male"], births["female"]) == (0, 1)
    flow_in = reopened["flow"][1][("main", "合计")]
    assert (flow_in["in_male"], flow_in["in_female"]) == (1, 0)
    assert reopened["women"][1][("main", "合计")]["women"] == women - 1

    services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)
    for key, kind in PERIOD_REPORTS:
        result, closed = period_figures(personas, regions, key, kind)
        assert result.closed and closed == reopened[key][1], key


def test_reclose_recounts_a_closed_month_through_an_audited_reopen(past_world, personas, regions):
    """A month closed under an old counting rule (its household cells here
    made wrong by hand) is recounted only by reopening it with a reason —
    audited — and closing it anew; the old close and its cells stay."""
    from pims.stats.models import ClosedHousehold

    live = period_figures(personas, regions, "population", Spell.Kind.RESIDENT)[1]
    old = services.month_close(actor=personas["county"], region=regions["county"], period=LAST_MONTH)
    ClosedHousehold.objects.filter(close=old).update(persons=99)
    assert period_figures(personas, regions, "population", Spell.Kind.RESIDENT)[1] != live
    with pytest.raises(CommandError, match="原因"):
        call_command("close_month", regions["county"].code, LAST_MONTH, "--reclose")
    call_command("close_month", regions["county"].code, LAST_MONTH, "--reclose", "--reason", "户规模口径修正")
    result, figures_now = period_figures(personas, regions, "population", Spell.Kind.RESIDENT)
    assert result.closed and figures_now == live
    assert MonthClose.objects.filter(period=LAST_MONTH).count() == 2
    reopen = AuditEntry.objects.get(object_type="stats.monthclose", detail__transition="reopen")
    assert reopen.detail["reason"] == "户规模口径修正"


def test_close_is_refused_while_villages_have_not_reported_or_closed_with_an_audited_override(
    world, personas, regions, client_for
):
    county = personas["county"]
    ChangeReport.objects.filter(region=regions["village_a2"], period=LAST_MONTH).delete()
    ChangeReport.objects.filter(region=regions["village_b1"], period=LAST_MONTH).delete()
    with refused(Conflict, errors.CLOSE_VILLAGES_MISSING) as exc:
        services.month_close(actor=county, region=regions["county"], period=LAST_MONTH)
    assert "拉马桥村委会" in str(exc.value) and "三面船村委会" in str(exc.value) and "2 个村" in str(exc.value)
    with refused(Invalid, errors.CLOSE_OVERRIDE_NEEDS_REASON):
        services.month_close(actor=county, region=regions["county"], period=LAST_MONTH, override_reason="好")
    assert not MonthClose.objects.exists()

    page = client_for("county")
    refusal = page.post(reverse("stats:close_create"), {"period": LAST_MONTH}, follow=True).content.decode()
    assert "拉马桥村委会" in refusal and not MonthClose.objects.exists()
    reason = "拉马桥村撤并中，经县局同意先行月结"
    page.post(reverse("stats:close_create"), {"period": LAST_MONTH, "override_reason": reason})
    close = MonthClose.objects.get()
    assert [v["name"] for v in close.missing_villages] == ["拉马桥村委会", "三面船村委会"]
    assert close.override_reason == reason
    entry = AuditEntry.objects.get(object_type="stats.monthclose", detail__transition="close")
    assert entry.actor == county and entry.detail["override_reason"] == reason
    assert {v["code"] for v in entry.detail["missing_villages"]} == {"210124101201", "210124102200"}
    listing = page.get(reverse("stats:close_list")).content.decode()
    assert "缺报仍月结" in listing and reason in listing


def test_close_needs_no_override_once_every_village_reported(world, personas, regions):
    close = services.month_close(
        actor=personas["county"], region=regions["county"], period=LAST_MONTH, override_reason="不需要的原因"
    )
    assert close.missing_villages == [] and close.override_reason == ""
    entry = AuditEntry.objects.get(object_type="stats.monthclose", detail__transition="close")
    assert "missing_villages" not in entry.detail
