"""12 优质服务证件统计表 (issue 16.6): registrations by 孩次 and month, 光荣证
issued, revoked and held; scoped like every report; the same figures on the
page and in the Excel and PDF exports."""

import datetime as dt
import io

import openpyxl
import pytest
from django.http import Http404
from django.urls import reverse

from pims.documents import services
from pims.documents.honour_services import honour_apply, honour_county_approve, honour_revoke, honour_township_review
from pims.documents.models import CancelReason, RevokeReason
from pims.registry.tests.factories import make_child, make_couple
from pims.stats import selectors
from pims.stats.frame import Params

from .conftest import register

pytestmark = pytest.mark.django_db


def certificate(personas, village, born):
    hh, husband, wife = make_couple(village)
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=born)
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True)
    return honour_county_approve(actor=personas["county"], cert=cert, approve=True)


@pytest.fixture
def documents(regions, codes, personas, travel):
    """In 2027-03: two first-child registrations (one cancelled in 04), a
    second child (补登) and a certificate; in 2027-04: a third child and a
    certificate revoked in the same month."""
    village = regions["village_a1"]
    travel(dt.date(2027, 3, 3))
    first = register(personas["operator"], make_couple(village)[2])
    register(personas["operator"], make_couple(village)[2])
    hh, husband, wife = make_couple(village)
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2015, 1, 1))
    late = make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2026, 12, 1))
    register(personas["operator"], wife, child=late)
    certificate(personas, village, dt.date(2010, 5, 1))
    travel(dt.date(2027, 4, 10))
    hh, husband, wife = make_couple(village)
    for row, year in ((3, 2012), (4, 2017)):
        make_child(hh, row, mother=wife, father=husband, birth_date=dt.date(year, 1, 1))
    register(personas["operator"], wife)
    services.birth_registration_cancel(actor=personas["operator"], registration=first, reason=CancelReason.ERROR)
    revoked = certificate(personas, village, dt.date(2011, 5, 1))
    honour_revoke(actor=personas["county"], cert=revoked, reason=RevokeReason.FRAUD)
    travel(dt.date(2027, 5, 5))


def run(user, code, first, last):
    return selectors.report_run(user=user, key="documents", code=code, params=Params(first, last))


def test_registrations_by_order_and_month_and_certificates_issued_revoked_held(documents, personas, regions):
    result = run(personas["county"], regions["county"].code, "2027-03", "2027-04")
    main = result.section("main")
    a = next(r.values for r in main.rows if r.label == "大孤家子镇")
    assert (a["reg_total"], a["reg_1"], a["reg_2"], a["reg_3"], a["reg_4"]) == (4, 2, 1, 1, 0)
    assert (a["reg_late"], a["reg_cancelled"]) == (1, 1)
    assert (a["honour_issued"], a["honour_revoked"], a["honour_held"]) == (2, 1, 1)
    assert main.total.values == a | {}  # township B has nothing
    months = {r.key: r.values for r in result.section("months").rows}
    assert (months["2027-03"]["reg_total"], months["2027-03"]["reg_1"], months["2027-03"]["reg_2"]) == (3, 2, 1)
    assert (months["2027-04"]["reg_total"], months["2027-04"]["reg_3"], months["2027-04"]["reg_cancelled"]) == (1, 1, 1)
    assert (months["2027-03"]["honour_issued"], months["2027-04"]["honour_issued"]) == (1, 1)
    assert months["2027-04"]["honour_revoked"] == 1
    march = run(personas["county"], regions["county"].code, "2027-03", "2027-03").section("main").total.values
    assert (march["reg_total"], march["reg_cancelled"], march["honour_held"]) == (3, 0, 1)


def test_the_report_is_scoped_and_the_outsider_gets_404(documents, personas, regions):
    village = run(personas["operator"], regions["township_a"].code, "2027-03", "2027-04")
    a1 = next(r.values for r in village.section("main").rows if r.key == regions["village_a1"].code)
    assert a1["reg_total"] == 4
    for code in (regions["county"].code, regions["township_a"].code):
        with pytest.raises(Http404):
            run(personas["outsider"], code, "2027-03", "2027-04")
    b = run(personas["outsider"], regions["township_b"].code, "2027-03", "2027-04")
    assert b.section("main").total.values["reg_total"] == 0


def test_the_excel_and_pdf_exports_hold_the_figures(documents, personas, regions, client_for):
    county = client_for("county")
    code = regions["county"].code
    query = {"period": "2027-03", "to": "2027-04"}
    xlsx = county.get(reverse("stats:report_export", args=["documents", code, "xlsx"]), query)
    assert xlsx.status_code == 200
    values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows()]
    assert values[0][0].startswith("优质服务证件统计表")
    row = next(v for v in values if v[0] == "大孤家子镇")
    assert [int(x) for x in row[1:11]] == [4, 2, 1, 1, 0, 1, 1, 2, 1, 1]
    assert county.get(reverse("stats:report_export", args=["documents", code, "pdf"]), query).content[:4] == b"%PDF"
