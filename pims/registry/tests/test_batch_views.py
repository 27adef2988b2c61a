"""The check report pages, with the persona walk: the outsider gets 404."""

import pytest
from django.urls import include, path

import config.urls
from pims.accounts.roles import Role
from pims.registry.models import CheckRun
from pims.testing.fixtures import login, make_user
from pims.web.modules import MODULES

from .test_batch import clean, two_heads


def _registry_patterns():
    """The registry URLs with the check pages included, whether or not the
    lead's urls.py includes them yet."""
    try:
        from pims.registry import urls as registry_urls

        patterns = list(registry_urls.urlpatterns)
    except Exception:  # the household pages may be mid-edit; the checks need none of them
        patterns = []
    if not any(getattr(p, "urlconf_name", None) == "pims.registry.check_urls" for p in patterns):
        patterns.append(path("checks/", include("pims.registry.check_urls")))
    return patterns


urlpatterns = [
    path("registry/", include((_registry_patterns(), "registry"))),
    *[p for p in config.urls.urlpatterns if getattr(p, "namespace", None) != "registry"],
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def data(regions):
    return {
        "a1": [clean(regions["village_a1"]), two_heads(regions["village_a1"])],
        "b1": [two_heads(regions["village_b1"])],
    }


def start(client, code):
    return client.post("/registry/checks/start/", {"region": code})


def test_reviewer_starts_a_run_and_reads_the_report(regions, client_for, data):
    client = client_for("reviewer")
    page = client.get("/registry/checks/")
    assert page.status_code == 200 and "批量逻辑审核" in page.content.decode()
    assert "三面船镇" not in page.content.decode()  # township B is not offered
    response = start(client, regions["township_a"].code)
    run = CheckRun.objects.get()
    assert response.status_code == 302 and response.url == f"/registry/checks/{run.pk}/"
    report = client.get(response.url).content.decode()
    assert "R03" in report and "大孤家子村委会" in report and "家庭户有且只有一名户主" in report
    cell = client.get(f"/registry/checks/{run.pk}/R03/{regions['village_a1'].code}/").content.decode()
    assert data["a1"][1].number in cell and data["a1"][0].number not in cell


def test_outsider_gets_404_for_run_cell_and_region(regions, client_for, personas, data):
    reviewer = client_for("reviewer")
    start(reviewer, regions["township_a"].code)
    run = CheckRun.objects.get()
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    from django.test import Client

    outsider = login(Client(), reviewer_b)
    urls = [f"/registry/checks/{run.pk}/", f"/registry/checks/{run.pk}/R03/{regions['village_a1'].code}/"]
    for url in urls:
        assert outsider.get(url).status_code == 404
    assert start(outsider, regions["township_a"].code).status_code == 404
    listing = outsider.get("/registry/checks/").content.decode()
    assert f"/registry/checks/{run.pk}/" not in listing and "还没有审核记录" in listing
    for name in ("outsider", "clerk", "operator", "auditor", "sysadmin"):
        c = client_for(name)
        assert c.get("/registry/checks/").status_code == 404
        for url in urls:
            assert c.get(url).status_code == 404
        assert start(c, regions["township_a"].code).status_code == 404
    assert CheckRun.objects.count() == 1


def test_reviewer_cannot_open_a_cell_outside_the_run(regions, client_for, data):
    client = client_for("county")
    start(client, regions["township_a"].code)
    run = CheckRun.objects.get()
    assert client.get(f"/registry/checks/{run.pk}/R03/{regions['village_b1'].code}/").status_code == 404
    assert client.get(f"/registry/checks/{run.pk}/I01/{regions['village_a1'].code}/").status_code == 404
    assert client.get(f"/registry/checks/{run.pk + 1}/").status_code == 404


def test_report_query_count_is_flat(regions, client_for, data, django_assert_max_num_queries):
    client = client_for("county")
    start(client, regions["county"].code)
    run = CheckRun.objects.get()
    with django_assert_max_num_queries(15):
        assert client.get(f"/registry/checks/{run.pk}/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(f"/registry/checks/{run.pk}/R03/{regions['village_b1'].code}/").status_code == 200


def test_register_nav_adds_one_item():
    from pims.registry.check_views import register_nav

    register_nav()
    register_nav()
    names = [i.url_name for i in MODULES["registry"].items]
    assert names.count("registry:check_run_list") == 1
