"""Issue 7 journey: a township operator finds a person by pinyin initials,
opens the page, follows the link to the spouse, and exports a query of
married women 15–49 without contraception; the file holds exactly the
persons the page listed."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from pims.accounts.roles import Role
from pims.registry.models import Person
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

from .conftest import build_world, member, save_household

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def listed_ids(page) -> list[str]:
    return page.get_by_test_id("result-row").evaluate_all("rows => rows.map(r => r.dataset.person)")


def test_operator_finds_by_initials_follows_spouse_and_exports_what_the_page_listed(browser_page):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    regions = {
        "village_a1": tree["210124101200"],
        "village_a2": tree["210124101201"],
        "village_b1": tree["210124102200"],
    }
    personas = {
        "operator": make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"]),
        "outsider": make_user("outsider_b", Role.TOWNSHIP_OPERATOR, tree["210124102000"]),
    }
    world = build_world(personas, regions)
    # One more married woman without contraception, in the other village.
    save_household(
        personas["operator"],
        regions["village_a1"],
        "0009",
        [
            member(1, "刘强", "1", "1984-05-05", "02", "21", seq=91, spouse_row="2", marriage_date="2010-01-01"),
            member(2, "曾丽", "2", "1986-06-06", "10", "22", seq=92, spouse_row="1", marriage_date="2010-01-01"),
        ],
    )
    page = browser_page
    sign_in(page, "operator_a")

    page.goto("/search/")
    page.fill("#id_name", "zs")
    page.get_by_test_id("search").click()
    assert page.get_by_test_id("result-count").inner_text() == "本辖区共 2 人符合条件"
    page.get_by_test_id("person-link").filter(has_text="张三").click()
    page.wait_for_url(re.compile(rf"/registry/persons/{world['张三'].pk}/$"))
    assert world["张三"].id_masked in page.get_by_test_id("id-masked").inner_text()
    page.get_by_test_id("spouse-link").click()
    page.wait_for_url(re.compile(rf"/registry/persons/{world['李四'].pk}/$"))
    assert page.locator("h1").inner_text().startswith("李四")
    screenshot(page, "search-spouse")

    page.goto("/search/")
    page.select_option("#id_sex", "2")
    page.select_option("#id_marital", "married")
    page.check("#id_childbearing")
    page.select_option("#id_contraception", "none")
    page.get_by_test_id("search").click()
    on_page = listed_ids(page)
    expected = [str(p.pk) for p in Person.objects.filter(name__in=["王芳", "曾丽"])]
    assert sorted(on_page) == sorted(expected)
    names_on_page = page.get_by_test_id("person-link").all_inner_texts()
    assert sorted(names_on_page) == sorted(["王芳", "曾丽"])
    screenshot(page, "search-women")

    page.select_option("#f-format", "csv")
    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "人员编号"
    assert [r[0] for r in rows] == on_page
    assert [r[1] for r in rows] == names_on_page
    # Masked: the operator did not ask for full numbers.
    assert all("*" in r[5] for r in rows)
