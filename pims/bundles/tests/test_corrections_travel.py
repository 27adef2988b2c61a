"""A later month's changes travel as the same events: after February's and
March's bundles (a death in March), the province's figures equal the
county's for both months."""

import datetime as dt

import pytest

from pims.accounts.roles import Role
from pims.approval import services as approval
from pims.bundles import services
from pims.bundles.models import BundleState
from pims.events import services as events
from pims.registry.models import Person
from pims.testing.fixtures import make_user

from .conftest import bundle_bytes
from .test_roundtrip import empty_register, figures_for

pytestmark = pytest.mark.django_db


def test_a_death_in_the_next_month_travels_and_both_months_agree(instances, february, personas, regions, travel):
    county, township = regions["county"].code, regions["township_a"].code
    first = bundle_bytes(services.bundle_export(county_code=county))
    travel(dt.date(2027, 3, 20))
    child = Person.objects.get(name="张小明", household=february[0])
    clerk_a2 = type(personas["clerk"]).objects.get(username="clerk_a2")
    for clerk, village in ((personas["clerk"], regions["village_a1"]), (clerk_a2, regions["village_a2"])):
        report = events.change_report_create(actor=clerk, region_code=village.code, period="2027-03")
        if village == regions["village_a1"]:
            events.event_file(
                actor=clerk,
                report=report,
                event_type="death",
                data={"person": child.pk, "effective_date": "2027-03-18"},
            )
        events.change_report_approve(
            actor=personas["reviewer"], report=events.change_report_submit(actor=clerk, report=report)
        )
    travel(dt.date(2027, 4, 10))
    approval.period_approve(actor=personas["reviewer"], township=regions["township_a"], period="2027-03")
    approval.period_accept(actor=personas["county"], township=regions["township_a"], period="2027-03")
    second = bundle_bytes(services.bundle_export(county_code=county))
    before = {p: figures_for(personas["county"], township, p) for p in ("2027-02", "2027-03")}
    assert before["2027-02"] != before["2027-03"]  # the death shows
    empty_register()
    with instances["province"]():
        assert services.bundle_import(data=first).state == BundleState.APPLIED
        assert services.bundle_import(data=second).state == BundleState.APPLIED
        viewer = make_user("province_viewer", Role.PROVINCE_VIEWER, regions["province"])
        after = {p: figures_for(viewer, township, p) for p in ("2027-02", "2027-03")}
        assert Person.objects.get(uuid=child.uuid).death_date == dt.date(2027, 3, 18)
    assert after == before
