"""Issue 5 journey: a county administrator signs in (password + TOTP), opens
report 2 (人口变动情况) for the county for this month, drills down to a
township, exports Excel and PDF; both files open and hold the numbers the
page shows."""

import io
import re
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD

from .conftest import THIS_MONTH

pytestmark = pytest.mark.browser


def sign_in_with_totp(page, user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def table_numbers(page) -> dict[str, list[str]]:
    """{row label: [cell texts]} of the report's main table."""
    out = {}
    for row in page.locator("[data-testid=section-main] tbody tr").all():
        label = row.locator("th").inner_text().strip()
        out[label] = [t.strip() for t in row.locator("td").all_inner_texts()]
    return out


def test_county_admin_opens_change_report_drills_down_and_exports(browser_page, world, personas, regions):
    import openpyxl
    import pypdf

    page = browser_page
    sign_in_with_totp(page, personas["county"])
    page.goto("/stats/")
    page.get_by_test_id("report-change").click()
    page.fill("#s-period", THIS_MONTH)
    page.get_by_test_id("run-report").click()
    page.wait_for_url(re.compile(r"/stats/r/change/210124000000/\?period=" + THIS_MONTH))
    assert page.get_by_test_id("period").inner_text() == THIS_MONTH
    assert "户籍人口" in page.get_by_test_id("basis").inner_text()
    county = table_numbers(page)
    assert set(county) == {"大孤家子镇", "三面船镇", "合计"}
    assert county["合计"][-1] == "0"  # the balance
    assert page.locator("[data-chart=trend] canvas").count() == 1  # ECharts drew the trend
    screenshot(page, "stats-change-county")

    page.get_by_role("link", name="大孤家子镇").click()
    page.wait_for_url(re.compile(r"/stats/r/change/210124101000/"))
    assert page.get_by_test_id("report-region").inner_text() == "大孤家子镇"
    township = table_numbers(page)
    assert set(township) == {"大孤家子村委会", "拉马桥村委会", "合计"}
    # The township's total row is the county's row for the township, except
    # for the moves between its own villages (shown as "其中：本区划内").
    assert township["合计"][0] == county["大孤家子镇"][0]  # start
    assert township["合计"][-2] == county["大孤家子镇"][-2]  # end
    screenshot(page, "stats-change-township")

    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    ws = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    sheet = {str(r[0].value): [str(c.value) for c in r[1:]] for r in ws.iter_rows() if r[0].value}
    assert ws["A1"].value == "人口变动情况统计表"
    for label, numbers in township.items():
        assert sheet[label] == numbers, label

    with page.expect_download() as info:
        page.get_by_test_id("export-pdf").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "人口变动情况统计表" in flat
    for label, numbers in township.items():
        assert f"{label} {' '.join(numbers)}" in flat, (label, flat)
