"""The audit viewer (issue 15.11): readable details, the region filter, the
masked and audited export, and the chain check run on the task queue."""

from django.urls import reverse

from pims.audit.display import mask_ip, mask_text
from pims.audit.models import Action, AuditEntry
from pims.audit.services import audit_record
from pims.audit.tests.helpers import tamper

URL = reverse("audit:entry_list")


def test_details_read_as_labelled_values_not_dict_text(personas, client_for):
    reviewer = personas["reviewer"]
    audit_record(
        actor=reviewer,
        action=Action.UPDATE,
        obj=("registry.household", 5),
        region_code="210124101200",
        detail={"transition": "return", "comments": 2},
    )
    body = client_for("auditor").get(URL).content.decode()
    assert "步骤</span>：退回" in body and "意见条数</span>：2" in body
    assert "{&#x27;transition" not in body and "{'transition" not in body
    assert "<td>户 5</td>" in body  # the object by its kind's name


def test_region_filter_takes_the_subtree(personas, client_for):
    for code in ("210124101200", "210124101201", "210124102200"):
        audit_record(actor=personas["county"], action=Action.UPDATE, obj=("registry.household", code), region_code=code)
    page = client_for("auditor").get(URL, {"region": "210124101000"}).context["page"]
    assert sorted(e.region_code for e in page) == ["210124101200", "210124101201"]
    assert client_for("auditor").get(URL, {"region": "abc"}).context["form"].errors["region"]


def test_export_is_masked_and_audited(personas, client_for):
    audit_record(
        actor=personas["county"],
        action=Action.UPDATE,
        obj=("registry.person", 9),
        ip="10.20.30.40",
        detail={"what": "电话 13812345678 身份证 210124198506151112"},
    )
    response = client_for("auditor").get(reverse("audit:entry_export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "13812345678" not in text and "138*****678" in text
    assert "210124198506151112" not in text and "10.20.*.*" in text and "10.20.30.40" not in text
    export = AuditEntry.objects.filter(action=Action.EXPORT, actor=personas["auditor"]).get()
    assert export.detail["what"] == "audit_log" and export.detail["masked"] is True
    assert client_for("county").get(reverse("audit:entry_export")).status_code == 404


def test_verify_button_runs_the_chain_check_as_a_job(personas, client_for):
    audit_record(actor=personas["county"], action=Action.LOGIN, obj=personas["county"])
    auditor = client_for("auditor")
    auditor.post(reverse("audit:chain_verify"))
    body = auditor.get(URL).content.decode()
    assert "完好：核对" in body
    first = AuditEntry.objects.order_by("seq").first()
    tamper("UPDATE audit_auditentry SET detail = %s WHERE seq = %s", ['{"x": 1}', first.seq])
    auditor.post(reverse("audit:chain_verify"))
    assert "发现问题" in auditor.get(URL).content.decode()
    assert client_for("county").post(reverse("audit:chain_verify")).status_code == 404


def test_masking_helpers():
    assert (
        mask_text("号码 210124198506151112 电话 13812345678 户 0001")
        == "号码 210************112 电话 138*****678 户 0001"
    )
    assert mask_ip("192.168.1.20") == "192.168.*.*" and mask_ip(None) == ""
