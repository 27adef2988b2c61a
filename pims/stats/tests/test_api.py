"""The stats JSON API: the page's figures for a region and period, with the
children as rows (drill down by their codes) and the total as their sum;
the outsider and roles without reports get 404, bad parameters 422."""

from django.urls import reverse

from pims.stats.reports import REPORTS

from .conftest import LAST_MONTH, THIS_MONTH
from .test_views import page_cells


def api_report(client, key, code, **query):
    return client.get(reverse("api:stats_report", args=[key, code]), query)


def test_report_as_json_matches_the_page_and_drills_down(world, regions, client_for):
    county = client_for("county")
    response = api_report(county, "change", regions["county"].code, period=THIS_MONTH)
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "人口变动情况统计表" and body["region"]["code"] == regions["county"].code
    assert body["first"] == body["last"] == THIS_MONTH and body["kind"] == "registered" and not body["closed"]
    main = body["sections"][0]
    assert main["key"] == "main" and [c["label"] for c in main["columns"]][:3] == ["期初人口", "基线采集", "出生"]
    assert main["total"]["values"]["births"] == 1 and all(r["values"]["balance"] == 0 for r in main["rows"])
    for col in main["columns"]:
        if col["fmt"] == "int":
            assert main["total"]["values"][col["key"]] == sum(r["values"][col["key"]] for r in main["rows"])

    page = county.get(reverse("stats:report", args=["change", regions["county"].code]), {"period": THIS_MONTH})
    cells = page_cells(page.content.decode())
    assert {k: str(v) for k, v in main["total"]["values"].items()} == {
        col: text for (row, col), text in cells.items() if row == "total"
    }

    # Drill down: ask again with a row's code.
    row = next(r for r in main["rows"] if r["code"] == regions["township_a"].code)
    child = api_report(county, "change", row["code"], period=THIS_MONTH).json()
    own = child["sections"][0]["total"]["values"]
    # Moves inside the township count at the county's row but cancel in its own total.
    for key in ("start", "births", "deaths", "end", "balance"):
        assert own[key] == row["values"][key], key
    assert own["moved_in"] - own["moved_in_internal"] == row["values"]["moved_in"]
    assert {r["code"] for r in child["sections"][0]["rows"]} >= {regions["village_a1"].code}


def test_every_report_answers_and_the_catalogue_lists_them(baseline, regions, client_for):
    county = client_for("county")
    catalogue = county.get(reverse("api:stats_reports")).json()
    assert [r["key"] for r in catalogue] == list(REPORTS)
    for key in REPORTS:
        body = api_report(county, key, regions["township_a"].code, period=LAST_MONTH, kind="resident").json()
        assert body["report"] == key and body["sections"], key


def test_outsider_and_roles_without_reports_get_404_and_bad_parameters_422(world, regions, client_for):
    outsider = client_for("outsider")
    for key in REPORTS:
        for level in ("county", "township_a", "village_a1"):
            assert api_report(outsider, key, regions[level].code).status_code == 404
    assert api_report(outsider, "change", "999999999999").status_code == 404
    own = api_report(outsider, "change", regions["township_b"].code, period=THIS_MONTH)
    assert own.status_code == 200 and "大孤家子" not in own.content.decode()
    assert client_for("auditor").get(reverse("api:stats_reports")).status_code == 404
    assert api_report(client_for("auditor"), "change", regions["county"].code).status_code == 404
    assert api_report(client_for("county"), "nonsense", regions["county"].code).status_code == 404
    refused = api_report(client_for("county"), "change", regions["county"].code, period="2026-13")
    assert refused.status_code == 422 and "统计月份" in refused.json()["errors"][0]
