import pytest

from pims.audit.models import AuditEntry
from pims.lib.errors import NotPermitted
from pims.registry import errors, sampling
from pims.registry.models import FormState
from pims.registry.models.sampling import SampleItem
from pims.registry.sampling import SamplingError
from pims.testing.errors import refused

from .factories import make_household


@pytest.fixture
def frame(regions):
    """30 submitted households in village A1, plus forms outside the frame."""
    hh = [make_household(regions["village_a1"], form_state=FormState.SUBMITTED) for _ in range(30)]
    make_household(regions["village_a1"], form_state=FormState.DRAFT)
    make_household(regions["village_a1"], form_state=FormState.APPROVED, status="dissolved")
    make_household(regions["village_a2"], form_state=FormState.APPROVED)
    return hh


def drawn(draw) -> list[int]:
    return list(draw.items.order_by("position").values_list("household_id", flat=True))


def test_pick_is_a_pure_function_of_seed_and_frame():
    pks = list(range(100, 160))
    assert sampling.pick(pks, 8, 42) == sampling.pick(list(reversed(pks)), 8, 42)  # order of the input is irrelevant
    assert sampling.pick(pks, 8, 42) != sampling.pick(pks, 8, 43)
    assert len(set(sampling.pick(pks, 8, 42))) == 8


def test_same_seed_draws_same_households_and_different_seed_differs(personas, regions, frame):
    reviewer, village = personas["reviewer"], regions["village_a1"]
    first = sampling.sample_draw(actor=reviewer, village=village, count=6, seed=20261101)
    again = sampling.sample_draw(actor=reviewer, village=village, count=6, seed=20261101)
    other = sampling.sample_draw(actor=reviewer, village=village, count=6, seed=7)
    assert drawn(first) == drawn(again)
    assert drawn(first) != drawn(other)
    assert first.seed == 20261101 and first.frame_size == 30
    in_frame = {h.pk for h in frame}
    assert set(drawn(first)) <= in_frame and len(set(drawn(first))) == 6
    assert AuditEntry.objects.filter(object_type="registry.sampledraw", object_id=str(first.pk)).exists()


def test_seed_is_chosen_and_stored_when_not_given(personas, regions, frame):
    draw = sampling.sample_draw(actor=personas["reviewer"], village=regions["village_a1"], count=3)
    again = sampling.sample_draw(actor=personas["reviewer"], village=regions["village_a1"], count=3, seed=draw.seed)
    assert drawn(draw) == drawn(again)


def test_percent_rounds_up_and_count_is_capped_by_the_frame(personas, regions, frame):
    reviewer, village = personas["reviewer"], regions["village_a1"]
    assert sampling.sample_draw(actor=reviewer, village=village, percent="10", seed=1).items.count() == 3
    assert sampling.sample_draw(actor=reviewer, village=village, percent="11", seed=1).items.count() == 4  # 3.3 → 4
    assert sampling.sample_draw(actor=reviewer, village=village, count=500, seed=1).items.count() == 30
    assert sampling.sample_size(30, percent="0.5") == 1


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"count": 3, "percent": 5},
        {"count": 0},
        {"count": -1},
        {"percent": "0"},
        {"percent": "101"},
        {"percent": "abc"},
        {"percent": "NaN"},
        {"percent": "1e40"},
        {"count": 3, "seed": -1},
        {"count": 3, "seed": 2**60},
    ],
)
def test_bad_requests_are_refused_with_a_message(personas, regions, frame, kw):
    with pytest.raises(SamplingError):
        sampling.sample_draw(actor=personas["reviewer"], village=regions["village_a1"], **kw)


def test_only_reviewers_in_scope_may_draw(personas, regions, frame):
    for name in ("clerk", "operator", "outsider", "auditor", "sysadmin"):
        with refused(NotPermitted, errors.SAMPLE_NOT_YOURS):
            sampling.sample_draw(actor=personas[name], village=regions["village_a1"], count=2, seed=1)
    assert sampling.sample_draw(actor=personas["county"], village=regions["village_a1"], count=2, seed=1)


def test_error_rates_per_draw_and_per_village(personas, regions, frame):
    reviewer = personas["reviewer"]
    d1 = sampling.sample_draw(actor=reviewer, village=regions["village_a1"], count=4, seed=11)
    items = list(d1.items.order_by("position"))
    # items checked / wrong: 10/0, 10/2, 20/1, and one not yet checked
    for item, (checked, wrong) in zip(items, [(10, 0), (10, 2), (20, 1)], strict=False):
        sampling.sample_record(actor=reviewer, item=item, items_checked=checked, items_wrong=wrong, note="入户核对")
    rate = sampling.error_rates_by_draw(sampling.draw_list_visible_to(user=reviewer))[d1.pk]
    assert (rate.drawn, rate.households_checked, rate.households_wrong) == (4, 3, 2)
    assert (rate.items_checked, rate.items_wrong) == (40, 3)
    assert rate.item_rate == pytest.approx(3 / 40)
    assert rate.household_rate == pytest.approx(2 / 3)

    # A second draw re-checks the first household and finds an error there:
    # per village that household counts once among the households.
    d2 = sampling.sample_draw(actor=reviewer, village=regions["village_a1"], count=30, seed=5)
    again = d2.items.get(household=items[0].household)
    sampling.sample_record(actor=reviewer, item=again, items_checked=10, items_wrong=1, note="")
    ((village, vrate),) = sampling.error_rates_by_village(user=reviewer)
    assert village == regions["village_a1"]
    assert (vrate.households_checked, vrate.households_wrong) == (3, 3)
    assert (vrate.items_checked, vrate.items_wrong) == (50, 4)
    assert vrate.item_rate == pytest.approx(4 / 50)
    assert vrate.drawn == 30  # distinct households drawn over both draws


def test_record_validates_and_replaces(personas, regions, frame):
    reviewer = personas["reviewer"]
    item = sampling.sample_draw(actor=reviewer, village=regions["village_a1"], count=1, seed=3).items.get()
    for checked, wrong in [(5, 6), (0, 0), (-1, 0), (True, 0), ("5", 1)]:
        with pytest.raises(SamplingError):
            sampling.sample_record(actor=reviewer, item=item, items_checked=checked, items_wrong=wrong)
    sampling.sample_record(actor=reviewer, item=item, items_checked=5, items_wrong=1)
    sampling.sample_record(actor=reviewer, item=item, items_checked=6, items_wrong=0, note=" 复核无误 ")
    item = SampleItem.objects.get(pk=item.pk)
    assert (item.items_checked, item.items_wrong, item.note, item.checked_by) == (6, 0, "复核无误", reviewer)
    with refused(NotPermitted, errors.SAMPLE_NOT_YOURS):
        sampling.sample_record(actor=personas["outsider"], item=item, items_checked=1, items_wrong=0)


def test_outsider_sees_no_draws(personas, regions, frame):
    draw = sampling.sample_draw(actor=personas["reviewer"], village=regions["village_a1"], count=2, seed=1)
    assert not sampling.draw_list_visible_to(user=personas["outsider"]).exists()
    assert sampling.error_rates_by_village(user=personas["outsider"]) == []
    from django.http import Http404

    with pytest.raises(Http404):
        sampling.access_draw(personas["outsider"], draw.pk)
    with pytest.raises(Http404):
        sampling.access_sample_item(personas["outsider"], draw.items.first().pk)
