"""Likely duplicates in the register: the probabilistic matcher run over the
register of the starter's jurisdiction lists the same person entered twice
for the reviewer of the region holding both, side by side, once; a pair
that is not one person is dismissed (audited) and never listed again."""

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse

from pims.accounts.roles import Role
from pims.audit.models import AuditEntry
from pims.integration import selectors
from pims.integration.models import DuplicatePair
from pims.integration.services import duplicate_dismiss, duplicates_find
from pims.lib.errors import Invalid, NotPermitted
from pims.testing.fixtures import make_user

from .civil import single

BORN = dt.date(1990, 3, 4)


@pytest.fixture
def twice(codes, personas, regions):
    """王五 entered by two villages of township A (two IDs), 王五 again in
    township B, and someone else."""
    a1, _ = single(personas, regions["village_a1"], number="0101", name="王五", sex="1", birth=BORN, seq=1)
    a2, _ = single(personas, regions["village_a2"], number="0201", name="王五", sex="1", birth=BORN, seq=3)
    b1, _ = single(personas, regions["village_b1"], number="0301", name="王五", sex="1", birth=BORN, seq=5)
    single(personas, regions["village_a1"], number="0102", name="赵六", sex="2", birth=dt.date(1992, 7, 8), seq=2)
    return {"a1": a1, "a2": a2, "b1": b1}


def test_the_townships_scan_lists_its_own_pair_for_its_reviewer(twice, personas, regions):
    assert duplicates_find(actor=personas["reviewer"]) == 1
    pair = DuplicatePair.objects.get()
    assert {pair.person_a, pair.person_b} == {twice["a1"], twice["a2"]}
    assert pair.region_code == regions["township_a"].code and pair.state == "open"
    assert pair.probability >= 0.2 and any(w["label"] == "姓名相同" for w in pair.why)
    assert list(selectors.duplicate_list_visible_to(user=personas["reviewer"])) == [pair]
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    for user in (reviewer_b, personas["outsider"], personas["clerk"]):
        assert not selectors.duplicate_list_visible_to(user=user).exists()
        with pytest.raises(Http404):
            selectors.access_duplicate_pair(user, pair.pk)
    # Again: nothing new.
    assert duplicates_find(actor=personas["reviewer"]) == 0
    # On the reviewer's work queue, not the other township's.
    from pims.web.queues import work_queue

    def queued(user):
        return [e.item.title for e in work_queue(user=user).entries if e.source.key == "integration.duplicates"]

    assert queued(personas["reviewer"]) == ["1 对疑似重复人员待核对"] and queued(reviewer_b) == []


def test_the_countys_scan_also_finds_pairs_across_townships(twice, personas, regions):
    assert duplicates_find(actor=personas["county"]) == 3
    across = DuplicatePair.objects.exclude(region_code=regions["township_a"].code)
    assert {p.region_code for p in across} == {"210124000000"}
    assert not selectors.duplicate_list_visible_to(user=personas["reviewer"]).filter(pk__in=across).exists()


def test_a_pair_that_is_not_one_person_is_dismissed_once_and_never_listed_again(twice, personas):
    duplicates_find(actor=personas["reviewer"])
    pair = DuplicatePair.objects.get()
    with pytest.raises(Invalid):
        duplicate_dismiss(actor=personas["reviewer"], pair=pair, note=" ")
    duplicate_dismiss(actor=personas["reviewer"], pair=pair, note="两人父母不同，系同名同日出生")
    pair.refresh_from_db()
    assert (pair.state, pair.decided_by) == ("dismissed", personas["reviewer"])
    assert AuditEntry.objects.filter(detail__what="register_duplicate_dismiss").count() == 1
    assert duplicates_find(actor=personas["reviewer"]) == 0
    assert not selectors.duplicate_list_visible_to(user=personas["reviewer"]).exists()


def test_only_reviewers_may_scan(twice, personas):
    with pytest.raises(NotPermitted):
        duplicates_find(actor=personas["clerk"])


def test_the_reviewer_scans_on_the_page_and_compares_side_by_side(twice, personas, client_for):
    client = client_for("reviewer")
    response = client.post(reverse("integration:duplicate_list"))
    assert response.status_code == 302  # the scan ran on the task queue (inline in tests)
    page = client.get(reverse("integration:duplicate_list")).content.decode()
    pair = DuplicatePair.objects.get()
    assert reverse("integration:duplicate_detail", args=[pair.pk]) in page and "王五" in page
    detail = client.get(reverse("integration:duplicate_detail", args=[pair.pk])).content.decode()
    assert "匹配概率" in detail and "姓名相同" in detail and 'data-differs="1"' in detail  # the villages differ
    client.post(reverse("integration:duplicate_detail", args=[pair.pk]), {"action": "dismiss", "note": "不同人"})
    assert DuplicatePair.objects.get().state == "dismissed"
    assert client_for("clerk").get(reverse("integration:duplicate_list")).status_code == 404
