"""Issue 15.10 journey: the system administrator merges two villages of a
township on the region screen — preview of what moves, then the merge — and
the households move to the new village with their history."""

import base64
import re

import pytest
from django.core.management import call_command
from django_otp.oath import totp

from pims.accounts.roles import Role
from pims.registry import services
from pims.registry.models import Household
from pims.registry.tests.conftest import family_form
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

NEW = "210124101202"


def sign_in_with_otp(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/otp/(\?.*)?$"))
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    page.fill("input[name=token]", f"{totp(base64.b32decode(secret)):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_the_system_administrator_merges_two_villages_after_a_preview(browser_page):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    clerk = make_user("clerk_a1", Role.VILLAGE_CLERK, tree["210124101200"])
    reviewer = make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"])
    make_user("sysadmin", Role.SYSADMIN, tree["210124000000"])
    data, members = family_form("210124101200")
    household = services.household_save(
        actor=clerk, data=data, members=members, village_code="210124101200", confirm_warnings=True
    ).household
    assert services.household_submit(actor=clerk, household=household, confirm_warnings=True).saved
    services.household_approve(actor=reviewer, household=household)
    page = browser_page

    sign_in_with_otp(page, "sysadmin")
    page.goto("/regions/210124101000/")
    merge = page.get_by_test_id("merge-villages")
    merge.get_by_label(re.compile("210124101200")).check()
    merge.get_by_label(re.compile("210124101201")).check()
    page.fill("#m-target", NEW)
    page.fill("#m-name", "大孤家子新村")
    page.fill("#m-basis", "县政府关于调整村级区划的批复")
    page.get_by_test_id("merge-preview").click()
    preview = page.get_by_test_id("change-preview")
    assert "210124101200" in page.get_by_test_id("change-mapping").inner_text()
    assert "涉及人员 4 人" in preview.inner_text()
    screenshot(page, "region-merge-preview")
    assert not Household.objects.filter(region_code=NEW).exists()

    page.get_by_test_id("change-confirm").click()
    page.wait_for_url(re.compile(r"/regions/210124101000/$"))
    assert "区划已合并" in page.locator("main").inner_text()
    assert "大孤家子新村" in page.locator("main").inner_text()
    household.refresh_from_db()
    assert household.region_code == NEW
    page.goto("/regions/210124101200/")
    assert "合并" in page.locator("main").inner_text() and NEW in page.locator("main").inner_text()
