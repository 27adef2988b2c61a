"""Reports over a county built through the real services: the balance is
zero, totals are the sums of their rows, figures agree with the events
app's own counts, every figure's list holds exactly as many records, and
the number of queries does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pims.events import selectors as events
from pims.events import services as events_services
from pims.events.models import Spell
from pims.stats import selectors
from pims.stats.frame import Params
from pims.stats.reports import REPORTS
from pims.stats.reports.base import cell_target

from .conftest import LAST_MONTH, THIS_MONTH

KINDS = [Spell.Kind.REGISTERED, Spell.Kind.RESIDENT]


def run(user, key, code, first=THIS_MONTH, last=None, kind=Spell.Kind.REGISTERED, **kw):
    return selectors.report_run(user=user, key=key, code=code, params=Params(first, last or first, kind, **kw))


def assert_additive(result):
    for section in result.sections:
        if not section.additive or section.total is None:
            continue
        for col in section.columns:
            if col.fmt != "int":
                continue
            rows = sum(r.values[col.key] or 0 for r in section.rows)
            assert section.total.values[col.key] == rows, (result.report_key, section.key, col.key)


def test_change_report_balances_to_zero_and_totals_sum_children(world, personas, regions):
    for level in ("county", "township_a", "township_b", "village_a1"):
        for kind in KINDS:
            check_balance(personas, regions[level], kind)


def check_balance(personas, region, kind):
    result = run(personas["county"], "change", region.code, kind=kind)
    section = result.section("main")
    assert section.rows, "every current child is a row"
    for row in section.all_rows():
        assert row.values["balance"] == 0, (row.label, row.values)
    assert_additive(result)
    # The region's own flows: moves between its rows cancel out.
    own = events.population_balance(region.prefix, THIS_MONTH, kind=kind)
    total = section.total.values
    assert total["start"] == own.start and total["end"] == own.end
    assert total["births"] == own.flows.births and total["deaths"] == own.flows.deaths
    assert total["moved_in"] - total["moved_in_internal"] == own.flows.moved_in
    assert total["moved_out"] - total["moved_out_internal"] == own.flows.moved_out
    # Corrections between two rows are one's increase and the other's decrease.
    assert total["corrected_in"] - total["corrected_out"] == own.flows.corrected_in - own.flows.corrected_out
    assert total["moved_in_internal"] == total["moved_out_internal"]


def test_change_report_figures_of_the_built_county(world, personas, regions):
    rows = {r.label: r.values for r in run(personas["county"], "change", regions["county"].code).section("main").rows}
    a, b = rows["大孤家子镇"], rows["三面船镇"]
    # A: 8 at the start, a birth and a death, in from Beijing and from B, out to Beijing.
    assert (a["start"], a["births"], a["deaths"], a["moved_in"], a["moved_in_internal"], a["moved_out"], a["end"]) == (
        8,
        1,
        1,
        2,
        1,
        1,
        9,
    )
    assert (b["start"], b["moved_out"], b["moved_out_internal"], b["end"]) == (4, 1, 1, 3)
    last_month = run(personas["county"], "change", regions["county"].code, first=LAST_MONTH).section("main").total
    assert last_month.values["baseline"] == 12 and last_month.values["start"] == 0


def test_flow_report_counts_flows_by_sex_age_and_place(world, personas, regions):
    result = run(personas["county"], "flow", regions["county"].code)
    flow_in, flow_out = result.section("main"), result.section("out")
    a_in = next(r.values for r in flow_in.rows if r.label == "大孤家子镇")
    a_out = next(r.values for r in flow_out.rows if r.label == "大孤家子镇")
    assert (a_in["in_total"], a_in["in_female"], a_in["in_a1"], a_in["in_other"]) == (1, 1, 1, 1)
    assert (a_out["out_total"], a_out["out_male"], a_out["out_a0"], a_out["out_other"]) == (1, 1, 1, 1)
    assert flow_in.total.values["in_total"] == 1 and flow_out.total.values["out_total"] == 1


def test_totals_are_the_sum_of_children_for_every_report(world, personas, regions):
    for key in REPORTS:
        for level in ("county", "township_a"):
            assert_additive(run(personas["county"], key, regions[level].code))


def test_population_report_agrees_with_the_stock_and_its_own_sections(world, personas, regions):
    for kind in KINDS:
        result = run(personas["county"], "population", regions["county"].code, kind=kind)
        main, ages = result.section("main").total.values, result.section("ages").total.values
        assert main["total"] == events.population_end_of(regions["county"].prefix, THIS_MONTH, kind)
        assert ages["total"] == main["total"] and ages["male"] == main["male"]
        assert main["age_0_14"] + main["age_15_64"] + main["age_65"] == main["total"]
        assert main["han"] + main["minority"] == main["total"]
    single = run(personas["county"], "population", regions["county"].code, single_years=True)
    assert len(single.section("ages").rows) == 101
    assert single.section("ages").total.values["total"] == 12


def test_every_figure_lists_exactly_its_records(world, personas, regions):
    county = personas["county"]
    for key, report in REPORTS.items():
        if not report.drillable:
            continue
        for level in ("county", "township_a"):
            code = regions[level].code
            params = Params(THIS_MONTH, THIS_MONTH)
            result = selectors.report_run(user=county, key=key, code=code, params=params)
            for section in result.sections:
                for row in section.all_rows():
                    for col in section.columns:
                        target = cell_target(report, section, row, col)
                        if target is None:
                            continue
                        qs, _frame = selectors.drill_records(
                            user=county, key=key, code=code, params=params, measure=target[0], row=target[1]
                        )
                        assert qs.count() == row.values[col.key], (key, level, section.key, row.label, col.key)


def test_query_count_does_not_depend_on_the_number_of_rows(world, personas, regions):
    def count(key, code):
        with CaptureQueriesContext(connection) as ctx:
            run(personas["county"], key, code)
        return len(ctx.captured_queries)

    for key in REPORTS:
        assert count(key, regions["county"].code) == count(key, regions["township_a"].code), key
        assert count(key, regions["county"].code) <= 14, key  # incl. two SET LOCAL on PostgreSQL


def test_outsider_cannot_run_reports_of_another_township(world, personas, regions):
    from django.http import Http404

    for key in REPORTS:
        for level in ("county", "township_a", "village_a1"):
            with pytest.raises(Http404):
                run(personas["outsider"], key, regions[level].code)
    with pytest.raises(Http404):
        selectors.drill_records(
            user=personas["outsider"],
            key="change",
            code=regions["township_b"].code,
            params=Params(THIS_MONTH, THIS_MONTH),
            measure="end",
            row=regions["village_a1"].code,
        )
    with pytest.raises(Http404):  # the auditor has no report role
        run(personas["auditor"], "change", regions["county"].code)


def test_change_report_counts_region_corrections_and_reversals_and_still_balances(world, personas, regions):
    """A region correction moves a person between two rows without a move;
    a reversal brings a wrongly reported death back: both are 更正增减 of the
    approval month, and every row and level still balances."""
    from pims.events import services as event_services
    from pims.events.models import Event

    from .conftest import file, members

    a1, a2 = regions["village_a1"].code, regions["village_a2"].code
    wife = members(world["a1"])["李四"]
    death = Event.objects.get(event_type="death")
    fix = event_services.change_report_create(actor=personas["clerk"], region_code=a1, period=THIS_MONTH)
    file(personas, "clerk", fix, "correction", person=wife.pk, field="residence_code", before=a1, after=a2)
    file(personas, "clerk", fix, "reversal", supersedes=death.pk, reason="误报死亡", relationship="10")
    event_services.change_report_submit(actor=personas["clerk"], report=fix)
    event_services.change_report_approve(actor=personas["reviewer"], report=fix)

    for level in ("county", "township_a", "village_a1"):
        for kind in KINDS:
            check_balance(personas, regions[level], kind)
    rows = {
        r.label: r.values
        for r in run(personas["county"], "change", regions["township_a"].code, kind=Spell.Kind.RESIDENT)
        .section("main")
        .rows
    }
    v1, v2 = rows[regions["village_a1"].name], rows[regions["village_a2"].name]
    assert (v1["corrected_in"], v1["corrected_out"]) == (1, 1)  # the reversed death back in, the wife out
    assert (v2["corrected_in"], v2["corrected_out"]) == (1, 0)
    township = run(personas["county"], "change", regions["county"].code, kind=Spell.Kind.RESIDENT)
    a = {r.label: r.values for r in township.section("main").rows}[regions["township_a"].name]
    # Seen from the county the wife stays inside 大孤家子镇: only the reversal counts.
    assert (a["corrected_in"], a["corrected_out"]) == (1, 0)


def test_a_household_counts_in_the_village_of_its_registration_with_the_members_there(
    world, baseline, personas, regions
):
    """A member of a village-A1 household who lives in township B counts in
    B's population but in no household there, and A1's household holds only
    the members who live in A1: every row's household members are at most
    its population, at every level and for both kinds."""
    from pims.registry.models import Person

    from .conftest import approve, file

    def outside_households(level):
        values = run(personas["county"], "population", regions[level].code, kind=Spell.Kind.RESIDENT)
        return values.section("main").total.values["total"] - values.section("main").total.values["hh_persons"]

    before = outside_households("village_b1")
    report = events_services.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=THIS_MONTH
    )
    li = Person.objects.get(household=baseline["a1"], name="李四")
    file(personas, "clerk", report, "flow_out", person=li.pk, destination_code=regions["village_b1"].code, reason="1")
    approve(personas, report, filer="clerk", reviewer="reviewer")
    for kind in KINDS:
        for level in ("county", "township_a", "township_b", "village_a1", "village_b1"):
            section = run(personas["county"], "population", regions[level].code, kind=kind).section("main")
            for row in [*section.rows, section.total]:
                assert row.values["hh_persons"] <= row.values["total"], (kind, level, row.label)
    assert outside_households("village_b1") == before + 1  # 李四 lives in B1 in no household of B1
    by_size = run(personas["county"], "population", regions["county"].code, kind=Spell.Kind.RESIDENT)
    assert (
        by_size.section("households").total.values["households"] == by_size.section("main").total.values["households"]
    )
