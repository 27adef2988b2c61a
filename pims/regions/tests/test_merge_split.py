"""Merging and splitting villages (issue 15.10): households, persons and
their open spells move to the new codes through events — the history stays,
the balance holds at every level — the old villages are retired with the
history naming the new ones, audited; refused in a locked month and to
anyone but the system administrator of the region."""

import pytest

from pims.approval.models import ApprovalState, PeriodApproval
from pims.audit.models import AuditEntry
from pims.events.models import Event, Spell
from pims.events.periods import period_of
from pims.events.selectors import population_balance, spell_violations
from pims.events.tests.conftest import approved_household
from pims.lib import clock
from pims.lib.errors import Invalid, NotPermitted
from pims.regions.models import Region, RegionHistory
from pims.regions.services import VillagePart, region_merge, region_merge_plan, region_split
from pims.registry.models import Household

NEW = "210124101202"


@pytest.fixture(autouse=True)
def _codes(db):
    from pims.integration.testing import load_code_tables

    load_code_tables()


@pytest.fixture
def two_villages(personas, regions):
    """One family in each village of township A, both with 户号 0001."""
    a1 = approved_household(personas, regions["village_a1"], number="0001")
    a2 = approved_household(personas, regions["village_a2"], number="0001", seq=1)
    return a1, a2


def balances(*prefixes):
    period = period_of(clock.today())
    return {p: population_balance(p, period) for p in prefixes}


def test_a_merge_moves_households_with_their_history_and_the_balance_holds(personas, regions, two_villages):
    a1, a2 = two_villages
    township = regions["township_a"]
    sources = [regions["village_a1"], regions["village_a2"]]
    before = balances(township.prefix)[township.prefix].end
    plan, _goal = region_merge_plan(township=township, sources=sources, target=VillagePart(NEW, "合并新村"))
    assert plan.problems == [] and plan.rows() == [("210124101200", NEW, 1), ("210124101201", NEW, 1)]
    assert list(plan.renumbered.values()) == ["2010001"]  # the second 0001 gets its old village's digits

    counts = region_merge(
        actor=personas["sysadmin"],
        township=township,
        sources=sources,
        target=VillagePart(NEW, "合并新村"),
        effective=clock.today(),
        basis="县政府批复 2026 第 1 号",
    )
    assert counts["households"] == 2 and counts["persons"] == 8
    new = Region.objects.get(code=NEW)
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.region_code, a2.region_code) == (NEW, NEW) and {a1.number, a2.number} == {"0001", "2010001"}
    for p in a1.members.all():
        assert (p.registered_code, p.residence_code) == (NEW, NEW)
        spells = list(p.spells.order_by("kind", "start", "id").values_list("region_code", "end"))
        assert ("210124101200", clock.today()) in spells and (NEW, None) in spells  # the history stays
    assert Event.objects.filter(payload__region_change="merge").count() == 8
    assert spell_violations() == []

    figures = balances(township.prefix, NEW, "210124101200", "210124101201")
    assert all(b.holds for b in figures.values())
    assert figures[township.prefix].end == before and figures[township.prefix].flows.moved_in == 0
    assert figures[NEW].end == 8 and figures[NEW].flows.moved_in == 8
    assert figures["210124101200"].end == 0

    for old in sources:
        old.refresh_from_db()
        assert old.valid_to == clock.today()
        assert old.history.filter(change=RegionHistory.Change.MERGED, new_value=NEW).exists()
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].region == new  # the village's clerk works in the new village
    entry = AuditEntry.objects.filter(detail__what="region_merge").get()
    assert entry.detail["to"] == [NEW] and entry.detail["households"] == 2


def test_a_split_sends_each_household_to_its_part(personas, regions, two_villages):
    a1, _a2 = two_villages
    other = approved_household(personas, regions["village_a1"], number="0002", seq=2)
    village = regions["village_a1"]
    parts = [VillagePart("210124101203", "东村"), VillagePart("210124101204", "西村")]
    counts = region_split(
        actor=personas["sysadmin"],
        village=village,
        parts=parts,
        assignment={other.pk: "210124101204"},
        effective=clock.today(),
        basis="县政府批复 2026 第 2 号",
    )
    assert counts["households"] == 2
    assert Household.objects.get(pk=a1.pk).region_code == "210124101203"
    assert Household.objects.get(pk=other.pk).region_code == "210124101204"
    figures = balances("210124101", "210124101203", "210124101204", village.code)
    assert all(b.holds for b in figures.values()) and figures["210124101204"].end == 4
    village.refresh_from_db()
    assert village.valid_to is not None and village.history.filter(change=RegionHistory.Change.SPLIT).exists()


def test_a_locked_month_and_other_roles_are_refused(personas, regions, two_villages):
    township = regions["township_a"]
    sources = [regions["village_a1"]]
    target = VillagePart(regions["village_a2"].code)
    with pytest.raises(NotPermitted):
        region_merge(
            actor=personas["county"],
            township=township,
            sources=sources,
            target=target,
            effective=clock.today(),
            basis="县政府批复",
        )
    PeriodApproval.objects.create(
        region=township, region_code=township.code, period=period_of(clock.today()), state=ApprovalState.APPROVED
    )
    with pytest.raises(Invalid, match="锁定"):
        region_merge(
            actor=personas["sysadmin"],
            township=township,
            sources=sources,
            target=target,
            effective=clock.today(),
            basis="县政府批复",
        )
    assert Spell.objects.filter(region_code=regions["village_a1"].code, end__isnull=True).exists()


def test_the_township_page_previews_then_merges(client_for, personas, regions, two_villages):
    from django.urls import reverse

    township = regions["township_a"]
    url = reverse("regions:merge", args=[township.code])
    form = {
        "sources": ["210124101200", "210124101201"],
        "target_code": NEW,
        "target_name": "合并新村",
        "effective": clock.today().isoformat(),
        "basis": "县政府批复 2026 第 1 号",
    }
    admin = client_for("sysadmin")
    page = admin.get(reverse("regions:detail", args=[township.code])).content.decode()
    assert 'data-testid="merge-villages"' in page
    preview = admin.post(url, {**form, "action": "preview"}).content.decode()
    assert "涉及人员 8 人" in preview and 'data-testid="change-confirm"' in preview
    assert not Region.objects.filter(code=NEW).exists()  # a preview changes nothing
    assert client_for("outsider").post(url, {**form, "action": "confirm"}).status_code == 404
    assert client_for("county").post(url, {**form, "action": "confirm"}).status_code == 404
    done = admin.post(url, {**form, "action": "confirm"})
    assert done.status_code == 302 and Household.objects.filter(region_code=NEW).count() == 2
