import datetime as dt
import io

import pytest
from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.exchange import report, services
from pims.exchange.models import Kind, Topic

from .conftest import inquiry

pytestmark = pytest.mark.django_db


def by_label(section):
    return {str(r.label): r.values for r in section.all_rows()}


def test_monthly_report_counts_sent_received_on_time_and_overdue_by_kind(personas, regions, couple, travel):
    travel(dt.date(2027, 1, 5))
    _, husband, wife = couple
    on_time = inquiry(personas["operator"], regions["county"], husband)  # due 2027-02-04
    late = inquiry(personas["operator"], regions["county"], wife)  # due 2027-02-04
    services.message_receive(actor=personas["county"], message=on_time)
    services.message_receive(actor=personas["county"], message=late)
    travel(dt.date(2027, 2, 1))
    services.message_answer(actor=personas["county"], message=on_time, text="已核实")
    travel(dt.date(2027, 2, 10))
    services.message_answer(actor=personas["county"], message=late, text="迟复")
    county = regions["county"]
    jan = report.exchange_report(user=personas["county"], region=county, period="2027-01")
    rows = by_label(jan.section(Kind.INQUIRY))
    assert rows["大孤家子镇"]["sent"] == 2 and rows["法库县本级"]["received"] == 2
    assert rows["合计"]["overdue"] == 0
    feb = report.exchange_report(user=personas["county"], region=county, period="2027-02")
    inq = by_label(feb.section(Kind.INQUIRY))
    assert inq["法库县本级"]["on_time"] == 1 and inq["法库县本级"]["overdue"] == 1
    fb = by_label(feb.section(Kind.FEEDBACK))
    assert fb["法库县本级"]["sent"] == 2
    total = by_label(feb.section("all"))
    assert total["合计"]["sent"] == 2 and total["合计"]["on_time"] == 1 and total["合计"]["overdue"] == 1
    assert set(by_label(feb.section("all"))) == {"大孤家子镇", "三面船镇", "法库县本级", "合计"}


def test_report_page_and_exports_for_the_county_and_404_for_the_outsider(client_for, personas, regions, couple):
    import pypdf
    from openpyxl import load_workbook

    inquiry(personas["operator"], regions["county"], couple[1], topic=Topic.REGISTERED_ELSEWHERE)
    county = client_for("county")
    code = regions["county"].code
    period = "2027-03"
    page = county.get(reverse("exchange:report", args=[code]), {"period": period})
    assert page.status_code == 200 and "信息交换情况月报" in page.content.decode()
    xlsx = county.get(reverse("exchange:report_export", args=[code, "xlsx"]), {"period": period})
    wb = load_workbook(io.BytesIO(xlsx.content))
    cells = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "大孤家子镇" in cells
    pdf = county.get(reverse("exchange:report_export", args=[code, "pdf"]), {"period": period})
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "信息交换情况月报" in text
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__report="exchange").count() == 2
    outsider = client_for("outsider")
    assert outsider.get(reverse("exchange:report", args=[code])).status_code == 404
    assert outsider.get(reverse("exchange:report", args=[regions["township_a"].code])).status_code == 404
    assert outsider.get(reverse("exchange:report", args=[regions["township_b"].code])).status_code == 200


def test_due_soon_queue_lists_open_messages_near_their_deadline(personas, regions, couple, travel):
    from pims.exchange import selectors

    travel(dt.date(2027, 3, 3))
    m = inquiry(personas["operator"], regions["county"], couple[1])
    assert not selectors.queue(personas["county"], "due_soon").exists()
    travel(m.due_date - dt.timedelta(days=1))
    assert list(selectors.queue(personas["county"], "due_soon")) == [m]
