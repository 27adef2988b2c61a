"""The printable 生育登记 and 光荣证 and their public verification page."""

import datetime as dt
import io

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.documents import certificates, services, verification
from pims.documents.models import CancelReason
from pims.lib.masking import mask_id_public, mask_name
from pims.registry.tests.factories import make_child, make_couple

from .conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(couple, personas):
    hh, husband, wife = couple
    husband.name, wife.name = "张大伟", "李小丽"
    husband.id_masked, wife.id_masked = "210124********0013", "210124********0028"
    husband.save()
    wife.save()
    make_child(hh, 3, mother=wife, father=husband, name="张一一")
    return register(personas["operator"], wife, husband_employer="法库县第一中学")


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_has_the_fields_in_chinese_and_the_qr_holds_only_the_verification_url(client_for, issued, monkeypatch):
    seen = []
    original = certificates.qr_data_uri
    monkeypatch.setattr(certificates, "qr_data_uri", lambda url: seen.append(url) or original(url))
    resp = client_for("operator").get(reverse("documents:registration_pdf", args=[issued.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    text = pdf_text(resp.content)
    for expected in (
        "生育登记服务单",
        issued.number,
        "张大伟",
        "李小丽",
        "张一一",
        "第 2 孩",
        "法库县第一中学",
        "大孤家子镇",
    ):
        assert expected in text, expected
    reader = pypdf.PdfReader(io.BytesIO(resp.content))
    fonts = {f["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("CJK" in str(name) for name in fonts), fonts  # the Chinese font is embedded
    assert seen == ["http://testserver" + reverse("documents:verify", args=[issued.token])]
    assert "张" not in seen[0] and "0013" not in seen[0]
    assert AuditEntry.objects.filter(action=Action.EXPORT, object_id=str(issued.pk)).exists()


def test_a_pdf_of_another_township_is_404(client_for, issued):
    assert client_for("outsider").get(reverse("documents:registration_pdf", args=[issued.pk])).status_code == 404


def test_the_public_page_shows_masked_fields_without_sign_in_and_audits_the_lookup(issued):
    resp = Client().get(reverse("documents:verify", args=[issued.token]), REMOTE_ADDR="10.1.2.3")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert issued.number in body and "生育登记" in body and "有效" in body and "大孤家子镇" in body
    assert "张*伟" in body and "李*丽" in body and "2101**********0013" in body
    for secret in ("张大伟", "李小丽", "张一一", "法库县第一中学", "210124********"):
        assert secret not in body
    entry = AuditEntry.objects.filter(action=Action.VERIFY).get()
    assert entry.ip == "10.1.2.3" and entry.detail["found"] is True


def test_after_cancellation_the_public_page_says_cancelled(issued, personas):
    services.birth_registration_cancel(actor=personas["operator"], registration=issued, reason=CancelReason.FRAUD)
    body = Client().get(reverse("documents:verify", args=[issued.token])).content.decode()
    assert 'data-status="cancelled"' in body and "已注销" in body


def test_unknown_and_tampered_tokens_get_the_same_not_found(issued):
    client = Client()
    answers = []
    for token in ("x" * 43, issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B"), "%2E%2E", "短", "a" * 64):
        resp = client.get(reverse("documents:verify", args=[token]))
        answers.append((resp.status_code, resp.content.decode().count("未找到该证件")))
    assert set(answers) == {(404, 1)}


def test_an_application_not_yet_issued_is_not_found(couple, personas):
    applied = register(personas["clerk"], couple[2])
    resp = Client().get(reverse("documents:verify", args=[applied.token]))
    assert resp.status_code == 404


def test_lookups_are_rate_limited_per_address(issued, monkeypatch):
    monkeypatch.setattr(verification, "LOOKUPS_PER_MINUTE", 3)
    client = Client()
    codes = [
        client.get(reverse("documents:verify", args=[issued.token]), REMOTE_ADDR="10.9.9.9").status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    other = client.get(reverse("documents:verify", args=[issued.token]), REMOTE_ADDR="10.9.9.8")
    assert other.status_code == 200


def test_public_masks():
    assert mask_name("张小丽") == "张*丽" and mask_name("张丽") == "张*" and mask_name("欧阳小明") == "欧**明"
    assert mask_id_public("210124199001010018") == "2101**********0018"
    assert mask_id_public("210124********0018") == "2101**********0018"


# --- 光荣证 ------------------------------------------------------------------------------


@pytest.fixture
def honour_issued(couple, personas):
    from pims.documents.honour_services import honour_apply, honour_county_approve, honour_township_review

    hh, husband, wife = couple
    husband.name, wife.name = "王大山", "赵小红"
    husband.id_masked = "210124********0013"
    husband.save()
    wife.save()
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1), name="王独一")
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True)
    return honour_county_approve(actor=personas["county"], cert=cert, approve=True, comment="准予发证")


def test_the_honour_pdf_prints_the_certificate_fields_in_chinese_with_the_qr_of_its_url(
    client_for, honour_issued, monkeypatch
):
    seen = []
    original = certificates.qr_data_uri
    monkeypatch.setattr(certificates, "qr_data_uri", lambda url: seen.append(url) or original(url))
    resp = client_for("county").get(reverse("documents:honour_pdf", args=[honour_issued.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    text = pdf_text(resp.content)
    for expected in (
        "独生子女父母光荣证",
        honour_issued.number,
        "王大山",
        "赵小红",
        "王独一",
        "2012-06-01",
        "210124********0013",
        "奖励费期间",
        f"{honour_issued.reward_from.year}年{honour_issued.reward_from.month}月",
        "准予发证",
        "发证单位",
    ):
        assert expected in text, expected
    assert "撤销" not in text
    reader = pypdf.PdfReader(io.BytesIO(resp.content))
    fonts = {f["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("CJK" in str(name) for name in fonts), fonts
    assert seen == ["http://testserver" + reverse("documents:verify", args=[honour_issued.token])]
    assert AuditEntry.objects.filter(action=Action.EXPORT, object_id=str(honour_issued.pk)).exists()


def test_a_revoked_honour_certificate_prints_as_revoked(client_for, honour_issued, personas):
    from pims.documents.honour_services import honour_revoke
    from pims.documents.models import RevokeReason

    honour_revoke(actor=personas["county"], cert=honour_issued, reason=RevokeReason.FRAUD, note="材料不实")
    text = pdf_text(client_for("county").get(reverse("documents:honour_pdf", args=[honour_issued.pk])).content)
    assert "本证已于" in text and "撤销" in text and "弄虚作假骗取" in text


def test_an_honour_pdf_before_issue_or_of_another_township_is_404(client_for, regions, personas, honour_issued):
    from pims.documents.honour_services import honour_apply

    assert client_for("outsider").get(reverse("documents:honour_pdf", args=[honour_issued.pk])).status_code == 404
    hh2, h2, w2 = make_couple(regions["village_a1"])
    child = make_child(hh2, 3, mother=w2, father=h2, birth_date=dt.date(2011, 1, 1))
    pending = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    assert client_for("county").get(reverse("documents:honour_pdf", args=[pending.pk])).status_code == 404


def test_the_honour_verification_page_shows_masked_holders_only(honour_issued):
    body = Client().get(reverse("documents:verify", args=[honour_issued.token])).content.decode()
    assert 'data-status="valid"' in body and "王*山" in body and "王*一" in body
    for secret in ("王大山", "赵小红", "王独一", "准予发证"):
        assert secret not in body
