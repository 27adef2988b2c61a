"""Issue 14.2: two saves of one household at the same version, on two real
database connections at once, give exactly one success and one 409; the
loser's input is kept by the page. PostgreSQL only (pims.testing.concurrency)."""

import pytest

from pims.events import services as events
from pims.events.models import ChangeReport, ReportState
from pims.events.tests.conftest import approved_household, village_report
from pims.lib.errors import Conflict
from pims.registry import services
from pims.registry.errors import HouseholdChanged
from pims.registry.models import Household
from pims.testing.concurrency import needs_postgresql, race

from .conftest import family_form

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("codes")]


def _edit(user, household, address):
    data, members = family_form(household.village.code)
    data["address"] = address
    return lambda: services.household_save(
        actor=user, data=data, members=members, household=household, expected_version=household.version
    )


@pytest.mark.parametrize("attempt", range(5))
def test_two_saves_of_one_version_give_one_success_and_one_conflict(personas, regions, attempt):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    first, second = Household.objects.get(pk=hh.pk), Household.objects.get(pk=hh.pk)
    results = race(_edit(personas["clerk"], first, "甲的修改"), _edit(personas["operator"], second, "乙的修改"))
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and won[0].saved, results
    assert len(lost) == 1 and isinstance(lost[0], HouseholdChanged), results
    stored = Household.objects.get(pk=hh.pk)
    assert stored.version == hh.version + 1
    assert stored.address == won[0].household.address


def test_approve_and_return_of_one_report_race_to_one_success(personas, regions):
    approved_household(personas, regions["village_a1"])
    report = village_report(personas, regions)
    events.change_report_submit(actor=personas["clerk"], report=report)
    reviewer, county = personas["reviewer"], personas["county"]
    results = race(
        lambda: events.change_report_approve(actor=reviewer, report=ChangeReport.objects.get(pk=report.pk)),
        lambda: events.change_report_return(
            actor=county, report=ChangeReport.objects.get(pk=report.pk), comments=[{"message": "请补充"}]
        ),
    )
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(lost) == 1 and isinstance(lost[0], Conflict), results
    assert ChangeReport.objects.get(pk=report.pk).state in (ReportState.APPROVED, ReportState.RETURNED)
