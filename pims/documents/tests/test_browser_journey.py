"""Issue 16 journey through a real browser, in the demo county's real region
tree (法库县, loaded as `setup_demo` loads it): a village clerk receives a
couple's 生育登记 for their second child (the husband's child from his first
marriage is excluded and the page says why), the township reviews and
registers it, the PDF carries the Chinese text and the QR code of the
verification URL and renders to a page that is not blank, an anonymous
visitor opens that URL and sees masked holders only, the outsider gets 404 on
the registration and its PDF, and after the cancellation the public page says
cancelled."""

import datetime as dt
import io
import re

import pypdf
import pypdfium2
import pytest
from django.core.management import call_command

from pims.accounts import demo
from pims.accounts.roles import Role
from pims.documents import certificates
from pims.documents.models import BirthRegistration
from pims.lib import clock
from pims.regions.models import Region
from pims.registry.models import Marriage
from pims.registry.tests.factories import make_child, make_couple, make_household, make_person
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def demo_county():
    """The demo county's real region tree (法库县) and code manual, loaded as `setup_demo` does."""
    call_command("load_regions", verbosity=0)
    call_command("load_codes", verbosity=0)
    codes = (demo.COUNTY, demo.TOWNSHIP, demo.VILLAGE, demo.OTHER_TOWNSHIP)
    return {r.code: r for r in Region.objects.filter(code__in=codes)}


def family(village):
    """A couple with one joint child; the husband also has a child of his first marriage."""
    hh, husband, wife = make_couple(village)
    husband.name, wife.name = "张建国", "李秀兰"
    husband.save()
    wife.save()
    other = make_household(village)
    ex_wife = make_person(other, 1, "2", dt.date(1981, 1, 1), "02", "40", name="王前妻")
    Marriage.objects.create(
        husband=husband, wife=ex_wife, date=dt.date(2000, 1, 1), end_date=dt.date(2004, 1, 1), end_reason="divorce"
    )
    make_child(other, 2, mother=ex_wife, father=husband, birth_date=dt.date(2002, 3, 1), name="张前子")
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1), name="张长女")
    return husband, wife


def dark_share(page) -> float:
    """Share of the rendered page's pixels that are dark (text, lines, the QR code)."""
    image = page.render(scale=1).to_pil().convert("L")
    histogram = image.histogram()
    return sum(histogram[:128]) / sum(histogram)


def assert_renders_not_blank(pdf_bytes):
    """Page 1 rendered to a PNG carries visible ink, unlike a blank page of the same size."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    first = document[0]
    width, height = first.get_size()
    png = io.BytesIO()
    first.render(scale=1).to_pil().save(png, format="PNG")
    assert png.getvalue().startswith(b"\x89PNG")
    blank = pypdfium2.PdfDocument.new()
    inked, empty = dark_share(first), dark_share(blank.new_page(width, height))
    assert inked > 0.005 and inked > empty + 0.005, (inked, empty)


def test_apply_review_issue_verify_by_qr_outsider_404_cancel(browser_page, live_server, monkeypatch):
    tree = demo_county()
    make_user("clerk_a1", Role.VILLAGE_CLERK, tree[demo.VILLAGE])
    make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree[demo.TOWNSHIP])
    make_user("outsider", Role.TOWNSHIP_OPERATOR, tree[demo.OTHER_TOWNSHIP])
    husband, wife = family(tree[demo.VILLAGE])
    qr_urls = []
    original = certificates.qr_data_uri
    monkeypatch.setattr(certificates, "qr_data_uri", lambda url: qr_urls.append(url) or original(url))
    page = browser_page

    # The village receives the application: the derivation says why the first-marriage child is left out.
    sign_in(page, "clerk_a1")
    page.goto(f"/documents/registrations/new/?person={wife.pk}")
    excluded = page.get_by_test_id("derivation-earlier_marriage")
    assert "张前子" in excluded.inner_text() and "男方与前配偶所生子女" in excluded.inner_text()
    assert "不计入" in excluded.inner_text()
    assert "登记孩次：2" in page.get_by_test_id("derived-order").inner_text()
    page.fill("#id_due_date", (clock.today() + dt.timedelta(days=90)).isoformat())
    page.check("#id_commitment")
    page.get_by_test_id("register").click()
    page.wait_for_url(re.compile(r"/documents/registrations/\d+/$"))
    detail = page.url
    assert page.get_by_test_id("registration-state").inner_text().startswith("已受理")
    registration = BirthRegistration.objects.get()
    assert registration.birth_order == 2 and registration.number == ""

    # The township reviews it on its queue and registers it.
    sign_in(page, "operator_a")
    page.goto("/")
    page.get_by_role("link", name=re.compile("生育登记待登记")).first.click()
    page.wait_for_url(detail)
    page.get_by_test_id("action-issue").click()
    page.wait_for_url(detail)
    registration.refresh_from_db()
    assert page.get_by_test_id("registration-state").inner_text().startswith("已登记")
    assert registration.number and registration.number in page.content()
    steps = page.get_by_test_id("document-timeline").inner_text()
    assert "受理申请" in steps and "登记发证" in steps
    screenshot(page, "documents-registration-issued")

    # The PDF: Chinese text, the number, and a QR code that holds only the verification URL.
    pdf_url = page.get_by_test_id("registration-pdf").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.body()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "生育登记服务单" in text and registration.number in text and "张建国" in text and "第 2 孩" in text
    assert_renders_not_blank(response.body())
    assert qr_urls == [f"{live_server.url}/documents/verify/{registration.token}/"]  # nothing but the URL
    assert page.get_by_test_id("verify-link").get_attribute("href") == qr_urls[0]

    # The outsider: 404 on the registration and its PDF.
    outsider = page.context.browser.new_context(base_url=live_server.url, locale="zh-CN")
    outsider_page = outsider.new_page()
    sign_in(outsider_page, "outsider")
    assert outsider_page.goto(detail).status == 404
    assert outsider_page.request.get(pdf_url).status == 404

    # Anyone with the QR code: the public page, masked, without signing in.
    public = page.context.browser.new_context(locale="zh-CN").new_page()
    assert public.goto(qr_urls[0]).status == 200
    assert public.get_by_test_id("verify-status").get_attribute("data-status") == "valid"
    holders = " ".join(public.get_by_test_id("verify-holder").all_inner_texts())
    assert "张*国" in holders and "李*兰" in holders
    body = public.content()
    for secret in ("张建国", "李秀兰", "张长女", "张前子"):
        assert secret not in body
    screenshot(public, "documents-verify-valid")

    # Cancelled by the township: the public page says so.
    page.select_option("#id_reason", "error")
    page.get_by_test_id("action-cancel").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("registration-state").inner_text().startswith("已注销")
    public.goto(qr_urls[0])
    assert public.get_by_test_id("verify-status").get_attribute("data-status") == "cancelled"
    assert "已注销" in public.get_by_test_id("verify-status").inner_text()
    outsider.close()
