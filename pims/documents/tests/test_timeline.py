"""The timeline of a document on its page (issue 16): every step with who and when."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from pims.documents import services
from pims.documents.honour_services import honour_apply, honour_county_approve, honour_revoke, honour_township_review
from pims.documents.models import CancelReason, RevokeReason
from pims.registry.tests.factories import make_child

from .conftest import register

pytestmark = pytest.mark.django_db


def steps(html: str) -> list[str]:
    rows = re.findall(r'<tr data-testid="timeline-step">(.*?)</tr>', html, re.S)
    return [" | ".join(re.findall(r"<td>(.*?)</td>", r, re.S)[1:]) for r in rows]


def test_a_registrations_page_shows_application_issue_print_and_cancellation(couple, personas, client_for):
    applied = register(personas["clerk"], couple[2], issue=False)
    services.birth_registration_issue(actor=personas["operator"], registration=applied)
    operator = client_for("operator")
    operator.get(reverse("documents:registration_pdf", args=[applied.pk]))
    services.birth_registration_cancel(
        actor=personas["operator"], registration=applied, reason=CancelReason.OTHER, note="重复申请"
    )
    applied.refresh_from_db()
    page = operator.get(reverse("documents:registration_detail", args=[applied.pk])).content.decode()
    clerk, op = personas["clerk"], personas["operator"]
    assert steps(page) == [
        f"受理申请（现场办理） | {clerk.full_name or clerk.username} | ",
        f"登记发证，编号 {applied.number} | {op.full_name or op.username} | ",
        f"打印证件（PDF） | {op.full_name or op.username} | ",
        f"注销（其他） | {op.full_name or op.username} | 重复申请",
    ]
    assert client_for("outsider").get(reverse("documents:registration_detail", args=[applied.pk])).status_code == 404


def test_a_certificates_page_shows_the_three_steps_with_comments_and_the_revocation(couple, personas, client_for):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True, comment="村里核实")
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True, comment="材料齐全")
    cert = honour_county_approve(actor=personas["county"], cert=cert, approve=True, comment="同意")
    honour_revoke(actor=personas["county"], cert=cert, reason=RevokeReason.LATER_CHILD, note="再生育")
    page = client_for("county").get(reverse("documents:honour_detail", args=[cert.pk])).content.decode()
    who = {k: personas[k].full_name or personas[k].username for k in ("clerk", "reviewer", "county")}
    assert steps(page) == [
        f"村级受理申请 | {who['clerk']} | 村里核实",
        f"乡镇审核通过 | {who['reviewer']} | 材料齐全",
        f"县级批准发证，证号 {cert.number} | {who['county']} | 同意",
        f"撤销（此后再生育子女） | {who['county']} | 再生育",
    ]


def test_a_rejection_at_the_township_shows_as_such(couple, personas, client_for):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=False, comment="材料不全")
    page = client_for("reviewer").get(reverse("documents:honour_detail", args=[cert.pk])).content.decode()
    assert steps(page)[-1].startswith("乡镇审核不予通过") and steps(page)[-1].endswith("材料不全")
