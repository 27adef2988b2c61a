import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pims.accounts.roles import Role
from pims.audit.models import AuditEntry
from pims.lib.errors import NotPermitted
from pims.params.policy import MOTHER_AGE_MIN
from pims.params.selectors import param_value
from pims.registry import errors
from pims.registry.checks.batch import (
    access_check_run,
    check_hits_for_cell,
    check_run_list_visible_to,
    check_run_start,
)
from pims.registry.checks.runner import check_households, register_rules
from pims.registry.models import CheckHit, CheckRun
from pims.testing.errors import refused
from pims.testing.fixtures import make_user

from .factories import make_child, make_contraception, make_couple, make_household, make_person


def clean(village):
    hh, husband, wife = make_couple(village)
    make_child(hh, 3, mother=wife, father=husband, order=1)
    make_contraception(wife)
    return hh


def two_heads(village):
    hh = make_household(village)
    make_person(hh, 1, relationship="02")
    make_person(hh, 2, relationship="02", birth_date=dt.date(1979, 1, 1))
    return hh


def young_groom(village):
    hh, husband, wife = make_couple(village, husband_birth=dt.date(1990, 5, 1), married_on=dt.date(2010, 5, 1))
    make_contraception(wife)
    return hh


@pytest.fixture
def township(regions):
    a1, a2, b1 = regions["village_a1"], regions["village_a2"], regions["village_b1"]
    return {
        "clean": [clean(a1), clean(a2)],
        "r03_a1": [two_heads(a1), two_heads(a1)],
        "r03_a2": [two_heads(a2)],
        "r01_a1": [young_groom(a1)],
        "outside": [two_heads(b1)],  # township B: never in a township-A run
    }


def cells(run):
    return {(r.rule_id, r.village_code): (r.hits, r.households) for r in run.results.all()}


def test_counts_per_rule_per_village(regions, personas, township):
    run = check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    a1, a2 = regions["village_a1"].code, regions["village_a2"].code
    assert cells(run) == {("R03", a1): (2, 2), ("R03", a2): (1, 1), ("R01", a1): (1, 1)}
    assert run.state == CheckRun.State.DONE
    assert (run.errors, run.warnings, run.households_with_errors) == (4, 0, 4)
    assert run.households == 6 and run.persons == 2 * 3 + 3 * 2 + 1 * 2
    assert run.rules == len(register_rules())


def test_drill_down_lists_exactly_the_offending_households(regions, personas, township):
    run = check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    hits = check_hits_for_cell(run, "R03", regions["village_a1"].code)
    assert sorted(h.household_id for h in hits) == sorted(h.pk for h in township["r03_a1"])
    assert all(h.person_id is None and h.row is None for h in hits)
    (groom,) = check_hits_for_cell(run, "R01", regions["village_a1"].code)
    assert groom.household_id == township["r01_a1"][0].pk and groom.row == 1 and groom.person.name


def test_batch_agrees_with_entry_time_check(regions, personas, township):
    run = check_run_start(actor=personas["county"], region=regions["county"])
    ids = [h.pk for group in township.values() for h in group]
    entry = sorted((v.rule_id, v.household_id, v.row) for v in check_households(ids))
    batch = sorted(CheckHit.objects.filter(run=run).values_list("rule_id", "household_id", "row"))
    assert entry == batch


def test_run_is_audited(regions, personas, township):
    run = check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    entry = AuditEntry.objects.get(object_type="registry.checkrun", object_id=str(run.pk))
    assert entry.actor == personas["reviewer"] and entry.region_code == regions["township_a"].code
    assert entry.detail["errors"] == 4


def test_outsider_cannot_see_the_run(regions, personas, township):
    run = check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    for user in (reviewer_b, personas["outsider"], personas["clerk"], personas["sysadmin"]):
        assert not check_run_list_visible_to(user=user).exists()
        with pytest.raises(Exception) as exc:
            access_check_run(user, run.pk)
        assert exc.type.__name__ == "Http404"
    assert access_check_run(personas["county"], run.pk) == run


def test_township_reviewer_does_not_see_county_run(regions, personas, township):
    run = check_run_start(actor=personas["county"], region=regions["county"])
    assert not check_run_list_visible_to(user=personas["reviewer"]).filter(pk=run.pk).exists()


def test_reviewer_cannot_run_outside_scope_and_operator_cannot_run(regions, personas):
    with refused(NotPermitted, errors.CHECK_RUN_NOT_YOURS):
        check_run_start(actor=personas["reviewer"], region=regions["township_b"])
    with refused(NotPermitted, errors.CHECK_RUN_NOT_YOURS):
        check_run_start(actor=personas["operator"], region=regions["township_a"])
    assert not CheckRun.objects.exists()


def test_failed_rule_marks_the_run_failed(regions, personas, township, monkeypatch):
    from pims.registry.checks import batch

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "_insert_results", boom)
    with pytest.raises(RuntimeError):
        check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    run = CheckRun.objects.get()
    assert run.state == CheckRun.State.FAILED and not run.hits.exists()


def _many(village, n):
    for _ in range(n):
        clean(village)
        two_heads(village)


def test_query_count_does_not_grow_with_households(regions, personas, django_assert_max_num_queries):
    _many(regions["village_a1"], 2)
    param_value(MOTHER_AGE_MIN)  # the parameter table: read once per process, not per run
    with CaptureQueriesContext(connection) as small:
        check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    _many(regions["village_a2"], 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        run = check_run_start(actor=personas["reviewer"], region=regions["township_a"])
    assert run.households == 34
    # PostgreSQL: create the rule's temporary table, copy its hits, drop it.
    per_rule = 3 if connection.vendor == "postgresql" else 1
    assert len(small.captured_queries) <= per_rule * len(register_rules()) + 20


def test_run_checks_command(regions, township, capsys):
    call_command("run_checks", regions["township_a"].code)
    out = capsys.readouterr().out
    assert "R03 家庭户有且只有一名户主: 3" in out
    run = CheckRun.objects.get()
    assert run.actor is None and run.errors == 4
    assert AuditEntry.objects.filter(object_type="registry.checkrun", actor_username__startswith="cli:").exists()
