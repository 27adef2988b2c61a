"""Issue 17 journey: a 奖扶 year through a real browser — the county opens
it, the village clerk reviews and publishes the 公示 (PDF), the township
reviewer passes it after the notice period, the county confirms and
downloads the 名册 (Excel, read back with openpyxl); a payee dies, the stop
shows on the county's queue and the next 名册 leaves them out."""

import base64
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from openpyxl import load_workbook

from pims.accounts.roles import Role
from pims.lib import clock
from pims.programmes.models import Cycle
from pims.programmes.tests.families import jiangfu_family
from pims.registry.models import Person
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def sign_in(page, username: str, *, otp: bool = False) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    if otp:
        page.wait_for_url(re.compile(r"/accounts/otp/(\?.*)?$"))
        secret = page.get_by_test_id("otp-secret").inner_text().strip()
        page.fill("input[name=token]", f"{totp(base64.b32decode(secret)):06d}")
        page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def roster_names(page, link) -> list[str]:
    with page.expect_download() as info:
        link.click()
    ws = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).worksheets[0]
    return sorted(str(r[3]) for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int))


def test_a_reward_year_from_candidates_to_the_roster_and_a_death_stop(browser_page, live_server):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    make_user("clerk_a1", Role.VILLAGE_CLERK, tree["210124101200"])
    make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"])
    make_user("county_admin", Role.COUNTY_ADMIN, tree["210124000000"])
    _, husband, wife, _ = jiangfu_family(tree["210124101200"])
    browser = browser_page.context.browser
    pages = {}
    for name in ("clerk_a1", "reviewer_a"):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(15_000)
        pages[name] = context.new_page()
        sign_in(pages[name], name)
    page = county = browser_page  # signed in once: a TOTP code is good for one sign-in
    sign_in(county, "county_admin", otp=True)
    year = clock.today().year
    page.goto("/programmes/")
    page.fill("#f-year", str(year))
    page.get_by_test_id("cycle-open").click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    cycle = Cycle.objects.get()
    assert "待村级评议 2" in page.get_by_test_id("stage-counts").inner_text()

    page = pages["clerk_a1"]
    page.goto(f"/programmes/{cycle.pk}/entries/")
    for _ in range(2):
        page.get_by_test_id("village-approve").first.click()
        page.wait_for_url(re.compile(r"/entries/$"))
    page.goto(f"/programmes/{cycle.pk}/")
    page.get_by_test_id("notice-publish").click()
    assert "已公示" in page.content()
    with page.expect_download() as info:
        page.get_by_test_id("notice-pdf").first.click()
    assert Path(info.value.path()).read_bytes()[:4] == b"%PDF"
    screenshot(page, "programmes-notice")

    previous = clock.pinned_day()
    clock.travel_to(clock.today() + dt.timedelta(days=10))
    try:
        page = pages["reviewer_a"]
        page.goto(f"/programmes/{cycle.pk}/")
        page.get_by_test_id("township-review").click()
        assert "初审通过 2 人" in page.content()

        page = county
        page.goto(f"/programmes/{cycle.pk}/")
        page.get_by_test_id("cycle-confirm").click()
        page.get_by_test_id("roster-build").click()
        assert roster_names(page, page.get_by_test_id("roster-xlsx").first) == sorted([husband.name, wife.name])

        Person.objects.filter(pk=husband.pk).update(status="2", death_date=clock.today())
        page.goto("/")
        assert "待停发" in page.locator("#work-queue").inner_text()
        page.goto(f"/programmes/{cycle.pk}/stops/")
        assert husband.name in page.get_by_test_id("stop-pending").inner_text()
        screenshot(page, "programmes-stops")
        page.goto(f"/programmes/{cycle.pk}/")
        page.get_by_test_id("roster-build").click()
        assert roster_names(page, page.get_by_test_id("roster-xlsx").last) == [wife.name]
    finally:
        clock.travel_to(previous)
        for p in pages.values():
            p.context.close()
