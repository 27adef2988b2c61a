"""Pages, exports and drill-through lists through the test client: the
outsider gets 404 for everything of township A (and of the county above
it); exports hold the page's numbers and are audited; lists show masked
values only."""

import csv
import io
import re

from django.urls import reverse

from pims.audit.models import AuditEntry
from pims.registry.models import Person
from pims.stats.reports import REPORTS
from pims.stats.reports.change import COLUMNS

from .conftest import THIS_MONTH

FORMATS = ["xlsx", "csv", "pdf"]


def page_cells(html: str) -> dict[tuple[str, str], str]:
    """{(row key, column key): text} of the first report table on a page."""
    table = html.split('data-testid="section-main"', 1)[1].split("</table>", 1)[0]
    out = {}
    for row_key, body in re.findall(r'<tr class="[^"]*" data-row="([^"]+)">(.*?)</tr>', table, re.S):
        for col, text in re.findall(r'<td class="num[^"]*" data-col="([^"]+)">(?:<a [^>]*>)?([^<]*)', body):
            out[(row_key, col)] = text
    return out


def test_outsider_gets_404_for_every_report_export_and_list_of_township_a(world, regions, client_for):
    outsider = client_for("outsider")
    for key in REPORTS:
        for level in ("county", "township_a", "village_a1"):
            code = regions[level].code
            urls = [reverse("stats:report", args=[key, code]), reverse("stats:drill", args=[key, code]) + "?m=end"]
            urls += [reverse("stats:report_export", args=[key, code, fmt]) for fmt in FORMATS]
            for url in urls:
                assert outsider.get(url).status_code == 404, url
        own = outsider.get(reverse("stats:report", args=[key, regions["township_b"].code]))
        assert own.status_code == 200 and "大孤家子" not in own.content.decode()
    assert outsider.get(reverse("stats:indicators", args=[regions["township_a"].code])).status_code == 404
    # A list of township B narrowed to a row of township A is refused too.
    url = reverse("stats:drill", args=["change", regions["township_b"].code])
    assert outsider.get(url, {"m": "end", "row": regions["village_a1"].code}).status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_roles_without_reports_or_export_get_404(world, regions, client_for):
    auditor, clerk = client_for("auditor"), client_for("clerk")
    assert auditor.get(reverse("stats:report", args=["change", regions["county"].code])).status_code == 404
    assert auditor.get(reverse("stats:index")).status_code == 404
    village = regions["village_a1"].code
    assert clerk.get(reverse("stats:report", args=["change", village])).status_code == 200
    assert clerk.get(reverse("stats:report_export", args=["change", village, "xlsx"])).status_code == 404
    assert client_for("county").get(reverse("stats:report_export", args=["change", village, "doc"])).status_code == 404


def test_page_exports_hold_the_same_numbers_and_are_audited(world, regions, client_for):
    import openpyxl
    import pypdf

    county = client_for("county")
    code = regions["county"].code
    query = {"period": THIS_MONTH}
    page = county.get(reverse("stats:report", args=["change", code]), query)
    assert page.status_code == 200
    html = page.content.decode()
    cells = page_cells(html)
    assert cells[("total", "balance")] == "0" and cells[("total", "births")] == "1"
    assert "户籍人口" in html and "统计口径" in html

    xlsx = county.get(reverse("stats:report_export", args=["change", code, "xlsx"]), query)
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws["A1"].value == "人口变动情况统计表" and "A1:N1" in [str(r) for r in ws.merged_cells.ranges]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    labels = [v[0] for v in values]
    assert "迁入" in values[3] and "其中：本区划内" in values[4]
    total = values[labels.index("合计")]
    for j, col in enumerate(COLUMNS, start=1):
        assert str(total[j]) == cells[("total", col.key)], col.key
    assert any(str(v[0]).startswith("制表人") for v in values if v[0])

    text = county.get(reverse("stats:report_export", args=["change", code, "csv"]), query).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    csv_total = next(r for r in rows if len(r) > 1 and r[1] == "合计")
    assert csv_total[2:] == [cells[("total", c.key)] for c in COLUMNS]

    pdf = county.get(reverse("stats:report_export", args=["change", code, "pdf"]), query)
    assert pdf.content.startswith(b"%PDF")
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "人口变动情况统计表" in pdf_text and "大孤家子镇" in pdf_text

    entries = AuditEntry.objects.filter(action="export").order_by("seq")
    assert [e.detail["format"] for e in entries] == ["xlsx", "csv", "pdf"]
    assert all(
        e.detail["report"] == "change"
        and e.detail["region"] == code
        and e.detail["period"] == THIS_MONTH
        and e.detail["rows"] == 2
        for e in entries
    )


def test_drill_list_shows_the_records_masked(world, regions, client_for):
    county = client_for("county")
    code = regions["township_a"].code
    url = reverse("stats:drill", args=["change", code])
    response = county.get(url, {"period": THIS_MONTH, "m": "end", "row": regions["village_a1"].code})
    html = response.content.decode()
    assert response.status_code == 200
    shown = int(re.search(r'data-testid="drill-count">(\d+)<', html).group(1))
    page = county.get(reverse("stats:report", args=["change", code]), {"period": THIS_MONTH}).content.decode()
    assert str(shown) == page_cells(page)[(regions["village_a1"].code[:12], "end")]
    head = Person.objects.filter(name="李四", registered_code=regions["village_a1"].code).first()
    assert head.id_masked in html and "李四" in html
    assert not re.search(r"\b\d{17}[\dX]\b", html)
    assert county.get(url, {"m": "no-such-measure"}).status_code == 404
    assert county.get(url, {"m": "end", "row": "2101241019"}).status_code == 404


def test_every_report_page_and_export_renders(baseline, regions, client_for):
    county = client_for("county")
    code = regions["county"].code
    for key in REPORTS:
        assert county.get(reverse("stats:report", args=[key, code])).status_code == 200, key
        for fmt in FORMATS:
            response = county.get(reverse("stats:report_export", args=[key, code, fmt]))
            assert response.status_code == 200, (key, fmt)
    assert county.get(reverse("stats:indicators", args=[code])).status_code == 200
    assert county.get(reverse("stats:index")).status_code == 200


def test_report_texts_go_through_translation_on_page_exports_and_api(world, regions, client_for):
    """Titles, column labels and units come from the message catalogue: in
    English the page, the Excel and CSV files and the API show the same
    translated texts (Chinese stays the default, as the other tests show)."""
    import openpyxl
    from django.conf import settings

    county = client_for("county")
    county.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    code = regions["county"].code
    query = {"period": THIS_MONTH}
    html = county.get(reverse("stats:report", args=["change", code]), query).content.decode()
    assert "Population change report" in html and "人口变动情况统计表" not in html
    assert ">Start population</th>" in html and ">of which within the region</th>" in html

    ws = openpyxl.load_workbook(
        io.BytesIO(county.get(reverse("stats:report_export", args=["change", code, "xlsx"]), query).content)
    ).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert ws["A1"].value == "Population change report" and ws.title == "Table 1"
    assert values[1][0].startswith("Reporting unit:") and "Unit: persons" in values[2][0]
    assert values[3][:3] == ["Region", "Start population", "Baseline"] and "Moved in" in values[3]
    assert "Total" in [v[0] for v in values]

    text = county.get(reverse("stats:report_export", args=["change", code, "csv"]), query).content.decode("utf-8-sig")
    header = next(r for r in csv.reader(io.StringIO(text)) if r and r[0] == "Code")
    assert header[1:4] == ["Region", "Start population", "Baseline"] and "Moved in/of which within the region" in header

    body = county.get(reverse("api:stats_report", args=["change", code]), query).json()
    assert body["title"] == "Population change report"
    assert [c["label"] for c in body["sections"][0]["columns"]][:2] == ["Start population", "Baseline"]
    assert body["sections"][0]["total"]["label"] == "Total" and body["sections"][0]["unit"] == "persons"


EVIL = '=HYPERLINK("http://outside.example/","点击")'


def test_report_exports_never_carry_a_formula(world, regions, client_for):
    """Row labels are region names, data from a file: a formula there stays
    inert text in the workbook and the CSV (issue 14 item 4)."""
    import openpyxl

    from pims.regions.models import Region

    Region.objects.filter(pk=regions["township_a"].pk).update(name=EVIL)
    county = client_for("county")
    code = regions["county"].code
    query = {"period": THIS_MONTH}
    xlsx = county.get(reverse("stats:report_export", args=["change", code, "xlsx"]), query)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    body = county.get(reverse("stats:report_export", args=["change", code, "csv"]), query).content
    labels = [r[1] for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if len(r) > 1]
    assert "'" + EVIL in labels and EVIL not in labels
