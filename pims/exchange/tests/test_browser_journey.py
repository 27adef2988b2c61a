"""Issue 18 journey across three personas: a woman registered in township A
lives in township B; B's approved event notifies A automatically; A hands
her (and her husband) over; the county routes the 交接; B confirms the
handover list person by person; the PDF carries both signatures; her
responsible region is B's, her husband's (queried) stays A's."""

import io
import re

import pytest
from django.core.management import call_command

from pims.accounts.roles import Role
from pims.events import services as events
from pims.events.periods import period_of
from pims.events.tests.conftest import approved_household, members
from pims.exchange.models import Kind, Message
from pims.lib import clock
from pims.registry.models import Person
from pims.stats.tests.test_browser_reports import sign_in_with_totp
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def open_row(page, queue, name):
    """The queue lists the message; open it from there."""
    page.goto(f"/exchange/?q={queue}")
    row = page.locator("tr[data-testid=message-row]", has_text=name).first
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/exchange/\d+/$"))


def test_notice_handover_routed_by_the_county_and_confirmed_by_both_sides(browser_page):
    import pypdf

    tree = build_tree()
    call_command("load_codes", verbosity=0)
    a, b = tree["210124101200"], tree["210124102200"]
    personas = {
        "clerk": make_user("clerk_a1", Role.VILLAGE_CLERK, a),
        "operator": make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"]),
        "reviewer": make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"]),
        "county": make_user("county_admin", Role.COUNTY_ADMIN, tree["210124000000"]),
    }
    clerk_b = make_user("clerk_b1", Role.VILLAGE_CLERK, b)
    make_user("operator_b", Role.TOWNSHIP_OPERATOR, tree["210124102000"])
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, tree["210124102000"])
    family = members(approved_household(personas, a))
    wife, husband = family["李四"], family["张三"]
    Person.objects.filter(pk__in=[wife.pk, husband.pk]).update(residence_code=b.code)
    # B records her pregnancy; the approval notifies her registered place A.
    report = events.change_report_create(actor=clerk_b, region_code=b.code, period=period_of(clock.today()))
    events.event_file(
        actor=clerk_b,
        report=report,
        event_type="pregnancy",
        data={"person": wife.pk, "effective_date": clock.today().isoformat()},
    )
    events.change_report_submit(actor=clerk_b, report=report)
    events.change_report_approve(actor=reviewer_b, report=report)
    notice = Message.objects.get(kind=Kind.NOTICE)
    assert (notice.sender_code, notice.receiver_code) == ("210124102000", "210124101000"), notice.payload
    page = browser_page

    sign_in(page, "operator_a")
    open_row(page, "inbox", "李四")
    assert "通报" in page.content() and "怀孕" in page.content()
    page.get_by_test_id("action-receive").click()
    assert page.get_by_test_id("message-state").inner_text() == "已签收"

    page.goto(f"/exchange/new/?person={wife.pk}")
    page.select_option("#id_kind", "handover")
    page.select_option("#id_topic", "delegated")
    page.select_option("#id_receiver_code", "210124102000")
    page.fill("#id_text", "现居三面船镇，委托现居住地管理")
    page.get_by_test_id("save-draft").click()
    page.wait_for_url(re.compile(r"/exchange/\d+/$"))
    message_url = page.url
    page.get_by_test_id("handover-list").click()
    assert page.get_by_test_id("handover-row").count() == 2
    page.get_by_test_id("action-confirm-send").click()
    assert "operator_a" in page.get_by_test_id("sender-signature").inner_text()
    page.goto(message_url)
    page.get_by_test_id("action-send").click()
    assert page.get_by_test_id("message-state").inner_text() == "已发出"

    page.context.clear_cookies()
    sign_in_with_totp(page, personas["county"])
    open_row(page, "route", "李四")
    page.get_by_test_id("action-forward").click()
    assert page.get_by_test_id("message-state").inner_text() == "已转递"

    sign_in(page, "operator_b")
    page.goto(message_url)
    page.get_by_test_id("action-receive").click()
    page.get_by_test_id("handover-list").click()
    page.select_option("[data-testid=receipt-2]", "queried")
    page.fill("[data-testid=reason-2]", "户籍信息待核实")
    page.get_by_test_id("action-confirm-receive").click()
    assert "operator_b" in page.get_by_test_id("receiver-signature").inner_text()
    receipts = page.get_by_test_id("receipt").all_inner_texts()
    assert receipts[0].startswith("已接收") and receipts[1].startswith("有疑问")
    screenshot(page, "exchange-handover-confirmed")
    pdf = page.request.get(page.get_by_test_id("handover-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body())).pages).replace("\n", "")
    assert "交接清单" in text and "operator_a" in text and "operator_b" in text and "户籍信息待核实" in text

    wife.refresh_from_db()
    husband.refresh_from_db()
    assert wife.responsible_code == b.code and wife.handover_code == b.code
    assert husband.responsible_code == a.code
