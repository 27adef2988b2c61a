import datetime as dt

import pytest

from pims.events import services
from pims.events.periods import period_of
from pims.lib import clock
from pims.registry import services as registry
from pims.registry.tests.conftest import family_form


def approved_household(personas, village, *, number="0001", seq=0, **form):
    """A family of four collected, submitted and approved through the
    registry's services: head 张三, wife 李四, children 张小明 and 张小红."""
    from pims.lib.citizen_id import make_citizen_id

    data, members = family_form(
        village.code,
        number=number,
        head_id=make_citizen_id("210124", dt.date(1985, 6, 15), 11 + 2 * seq, "1"),
        spouse_id=make_citizen_id("210124", dt.date(1988, 4, 2), 22 + 2 * seq, "2"),
        **form,
    )
    clerk = personas["clerk"] if village.code == personas["clerk"].region.code else personas["operator"]
    if not village.code.startswith(personas["operator"].region.prefix):
        clerk = personas["outsider"]
    result = registry.household_save(
        actor=clerk, data=data, members=members, village_code=village.code, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert registry.household_submit(actor=clerk, household=hh, confirm_warnings=True).saved
    reviewer = personas["county"] if clerk is personas.get("outsider") else personas["reviewer"]
    registry.household_approve(actor=reviewer, household=hh)
    hh.refresh_from_db()
    return hh


def members(hh):
    return {p.name: p for p in hh.members.all()}


def this_month() -> str:
    return period_of(clock.today())


def village_report(personas, regions, **kw):
    return services.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=kw.pop("period", this_month()), **kw
    )


@pytest.fixture
def family(codes, personas, regions):
    hh = approved_household(personas, regions["village_a1"])
    return hh, members(hh)
