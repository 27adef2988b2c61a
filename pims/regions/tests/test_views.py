"""Region pages and API answer 404 outside the user's subtree."""

import pytest

from pims.regions.models import RegionHistory
from pims.regions.selectors import access_region

pytestmark = pytest.mark.django_db


def test_access_region_hides_other_township_from_outsider(personas, regions):
    from django.http import Http404

    with pytest.raises(Http404):
        access_region(personas["outsider"], regions["township_a"].code)
    with pytest.raises(Http404):
        access_region(personas["outsider"], "999999999999")
    assert access_region(personas["outsider"], regions["village_b1"].code) == regions["village_b1"]


@pytest.mark.parametrize("code", ["210124101000", "210124101200", "210124000000", "210000000000"])
def test_detail_page_404_outside_subtree(client_for, code):
    assert client_for("outsider").get(f"/regions/{code}/").status_code == 404


@pytest.mark.parametrize("code", ["210124101000", "210124101200", "210124000000"])
def test_api_404_outside_subtree(client_for, code):
    client = client_for("outsider")
    assert client.get(f"/api/regions/{code}").status_code == 404
    assert client.get(f"/api/regions/{code}/children").status_code == 404


def test_api_requires_login(client, regions):
    assert client.get("/api/regions/210124101000").status_code == 401


def test_county_admin_sees_township_with_children_and_history(client_for, regions):
    RegionHistory.objects.create(
        region=regions["township_a"],
        change=RegionHistory.Change.RENAMED,
        old_value="旧名",
        new_value="大孤家子镇",
        effective="2024-01-01",
        source="x.csv",
    )
    response = client_for("county").get("/regions/210124101000/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "拉马桥村委会" in body and "旧名" in body and "x.csv" in body


def test_county_detail_counts_children(client_for, regions):
    response = client_for("county").get("/regions/210124000000/")
    assert response.status_code == 200
    children = {c.code: c for c in response.context["children"]}
    assert children["210124101000"].active_children == 2
    assert children["210124102000"].active_children == 1


def test_api_returns_region_and_children_inside_subtree(client_for, regions):
    client = client_for("operator")
    assert client.get("/api/regions/210124101000").json()["parent_code"] == "210124000000"
    codes = [r["code"] for r in client.get("/api/regions/210124101000/children").json()]
    assert codes == ["210124101200", "210124101201"]


def test_browse_redirects_to_own_region(client_for):
    response = client_for("clerk").get("/regions/")
    assert response.status_code == 302 and response.url.endswith("/regions/210124101200/")
