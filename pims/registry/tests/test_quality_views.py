import pytest
from django.test import Client
from django.urls import reverse

from pims.accounts.roles import Role
from pims.registry import sampling
from pims.registry.models import FormState
from pims.registry.models.sampling import SampleDraw, SampleItem, VillageBaseline
from pims.testing.fixtures import login, make_user

from .factories import make_household, make_person


@pytest.fixture
def village_frame(regions):
    hh = [make_household(regions["village_a1"], form_state=FormState.SUBMITTED) for _ in range(5)]
    for h in hh:
        make_person(h, 1)
    return hh


@pytest.fixture
def draw(personas, regions, village_frame):
    return sampling.sample_draw(actor=personas["reviewer"], village=regions["village_a1"], count=3, seed=987654321)


def test_reviewer_draws_records_and_sees_rates(client_for, regions, village_frame):
    c = client_for("reviewer")
    assert c.get(reverse("registry:quality:sample_list")).status_code == 200
    resp = c.post(
        reverse("registry:quality:sample_create"),
        {"village": regions["village_a1"].code, "count": "2", "seed": "12345"},
    )
    draw = SampleDraw.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("registry:quality:sample_detail", args=[draw.pk])
    page = c.get(resp["Location"]).content.decode()
    assert 'data-testid="seed">12345<' in page
    item = draw.items.order_by("position").first()
    resp = c.post(
        reverse("registry:quality:sample_item_record", args=[item.pk]),
        {"items_checked": "20", "items_wrong": "3", "note": "年龄填错"},
    )
    assert resp.status_code == 302
    item.refresh_from_db()
    assert (item.items_checked, item.items_wrong, item.note) == (20, 3, "年龄填错")
    page = c.get(reverse("registry:quality:sample_detail", args=[draw.pk])).content.decode()
    assert "15.00%" in page  # 3 / 20
    assert "15.00%" in c.get(reverse("registry:quality:sample_list")).content.decode()


@pytest.mark.parametrize(
    "post",
    [
        {"count": "x"},
        {"count": "２"},
        {"count": ""},
        {"percent": "abc"},
        {"count": "1", "seed": "-5"},
        {"count": "1", "percent": "5"},
    ],
)
def test_bad_draw_input_is_422_with_message(client_for, regions, village_frame, post):
    resp = client_for("reviewer").post(
        reverse("registry:quality:sample_create"), {"village": regions["village_a1"].code, **post}
    )
    assert resp.status_code == 422
    assert 'class="errorlist"' in resp.content.decode()
    assert not SampleDraw.objects.exists()


def test_bad_record_input_changes_nothing(client_for, draw):
    item = draw.items.first()
    c = client_for("reviewer")
    for post in ({"items_checked": "3", "items_wrong": "5"}, {"items_checked": "abc"}, {"items_checked": ""}):
        assert c.post(reverse("registry:quality:sample_item_record", args=[item.pk]), post).status_code == 302
    assert SampleItem.objects.get(pk=item.pk).checked_at is None


def test_outsider_and_non_reviewers_get_404_on_sampling_pages(client_for, personas, regions, draw):
    item = draw.items.first()
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    clients = {name: client_for(name) for name in ("outsider", "clerk", "operator", "auditor", "sysadmin")}
    clients["reviewer_b"] = login(Client(), reviewer_b)
    for name, c in clients.items():
        detail = c.get(reverse("registry:quality:sample_detail", args=[draw.pk]))
        record = c.post(
            reverse("registry:quality:sample_item_record", args=[item.pk]), {"items_checked": "1", "items_wrong": "0"}
        )
        create = c.post(
            reverse("registry:quality:sample_create"), {"village": regions["village_a1"].code, "count": "1"}
        )
        assert (detail.status_code, record.status_code, create.status_code) == (404, 404, 404), name
    assert clients["outsider"].get(reverse("registry:quality:sample_list")).status_code == 404
    # A reviewer elsewhere has the page, but nothing of township A is on it.
    page = clients["reviewer_b"].get(reverse("registry:quality:sample_list")).content.decode()
    assert "987654321" not in page and regions["village_a1"].name not in page
    assert SampleDraw.objects.count() == 1 and not SampleItem.objects.filter(checked_at__isnull=False).exists()


def test_completeness_page_and_baseline_entry(client_for, regions, village_frame):
    c = client_for("county")
    url = reverse("registry:quality:baseline_edit", args=[regions["village_a1"].code])
    assert c.get(url).status_code == 200
    resp = c.post(url, {"expected_households": "10", "expected_persons": "25"})
    assert resp.status_code == 302
    assert VillageBaseline.objects.get().expected_households == 10
    page = c.get(reverse("registry:quality:completeness") + f"?region={regions['township_a'].code}")
    body = page.content.decode()
    assert page.status_code == 200
    assert regions["village_a1"].name in body and "50.0%" in body  # 5 of 10 households collected
    assert regions["village_b1"].name not in body.split("<tbody>")[1]
    assert c.post(url, {"expected_households": "x", "expected_persons": "1"}).status_code == 422
    assert c.post(url, {"expected_households": "5", "expected_persons": "2"}).status_code == 422
    assert VillageBaseline.objects.count() == 1


def test_outsider_gets_404_on_completeness_and_baseline_of_township_a(client_for, regions):
    outsider = client_for("outsider")
    assert (
        outsider.get(reverse("registry:quality:completeness") + f"?region={regions['township_a'].code}").status_code
        == 404
    )
    assert outsider.get(reverse("registry:quality:completeness") + "?region=999999999999").status_code == 404
    for code in (regions["village_a1"].code, regions["village_a2"].code, "210124101299"):
        url = reverse("registry:quality:baseline_edit", args=[code])
        assert outsider.get(url).status_code == 404
        assert outsider.post(url, {"expected_households": "1", "expected_persons": "1"}).status_code == 404
    assert not VillageBaseline.objects.exists()
    # Their own township is fine.
    assert outsider.get(reverse("registry:quality:completeness")).status_code == 200
    for name in ("auditor", "sysadmin"):
        assert client_for(name).get(reverse("registry:quality:completeness")).status_code == 404
    assert (
        client_for("clerk")
        .get(reverse("registry:quality:baseline_edit", args=[regions["village_a1"].code]))
        .status_code
        == 404
    )


def test_nav_items_are_registered():
    from pims.registry.quality_views import register_nav
    from pims.web.modules import MODULES

    register_nav()
    names = [i.url_name for i in MODULES["registry"].items]
    assert "registry:quality:sample_list" in names and "registry:quality:completeness" in names
