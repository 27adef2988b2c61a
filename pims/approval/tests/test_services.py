import pytest

from pims.approval import errors, selectors, services
from pims.approval.models import ApprovalState, PeriodApproval
from pims.audit.models import AuditEntry
from pims.events import errors as event_errors
from pims.events import services as events
from pims.lib.errors import Conflict, Invalid, NotPermitted

from .conftest import PERIOD, file_village_report

pytestmark = pytest.mark.django_db


def _approve(personas, regions):
    return services.period_approve(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD)


def test_township_approves_and_county_accepts_a_finished_month(personas, regions, month_done):
    approval = _approve(personas, regions)
    assert approval.state == ApprovalState.APPROVED and approval.approved_by == personas["reviewer"]
    accepted = services.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    assert accepted.state == ApprovalState.ACCEPTED and accepted.accepted_by == personas["county"]
    steps = [e.detail["step"] for e in AuditEntry.objects.filter(object_type="approval.periodapproval").order_by("seq")]
    assert steps == ["approve", "accept"]


def test_open_work_blocks_the_approval_and_names_it(personas, regions, clerks):
    file_village_report(clerks["village_a1"], regions["village_a1"])  # submitted, not yet reviewed
    with pytest.raises(Conflict) as exc:
        _approve(personas, regions)
    assert exc.value.template is errors.OPEN_WORK
    text = exc.value.message
    assert "未审核通过的变更单 1 份" in text and regions["village_a2"].name in text
    assert not PeriodApproval.objects.filter(state=ApprovalState.APPROVED).exists()


def test_an_unfinished_month_cannot_be_approved(personas, regions, month_done):
    with pytest.raises(Invalid) as exc:
        services.period_approve(actor=personas["reviewer"], township=regions["township_a"], period="2027-03")
    assert exc.value.template is errors.PERIOD_NOT_OVER
    with pytest.raises(Invalid) as exc:
        services.period_approve(actor=personas["reviewer"], township=regions["township_a"], period="2027-13")
    assert exc.value.template is errors.PERIOD_INVALID


@pytest.mark.parametrize("who", ["clerk", "operator", "county", "outsider", "sysadmin", "auditor"])
def test_only_the_townships_reviewer_approves(personas, regions, month_done, who):
    with pytest.raises(NotPermitted):
        services.period_approve(actor=personas[who], township=regions["township_a"], period=PERIOD)


@pytest.mark.parametrize("who", ["clerk", "operator", "reviewer", "outsider", "sysadmin"])
def test_only_the_county_accepts(personas, regions, month_done, who):
    _approve(personas, regions)
    with pytest.raises(NotPermitted):
        services.period_accept(actor=personas[who], township=regions["township_a"], period=PERIOD)


def test_acceptance_needs_the_townships_approval_first(personas, regions, month_done):
    with pytest.raises(Conflict) as exc:
        services.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    assert exc.value.template is errors.NOT_APPROVED


def test_an_approved_month_takes_no_new_change_report(personas, regions, clerks, month_done):
    _approve(personas, regions)
    assert selectors.period_locked(regions["village_a1"].code, PERIOD)
    with pytest.raises(Conflict) as exc:
        events.change_report_create(actor=personas["clerk"], region_code=regions["village_a1"].code, period=PERIOD)
    assert exc.value.template is errors.PERIOD_LOCKED
    # Township B's February and township A's March stay open.
    assert not selectors.period_locked(regions["village_b1"].code, PERIOD)
    assert not selectors.period_locked(regions["village_a1"].code, "2027-03")
    report = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period="2027-03"
    )
    assert report.period == "2027-03"


def test_withdrawing_needs_a_reason_and_reopens_the_month(personas, regions, month_done):
    _approve(personas, regions)
    with pytest.raises(Invalid) as exc:
        services.period_unapprove(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD, reason=" ")
    assert exc.value.template is errors.REASON_REQUIRED
    approval = services.period_unapprove(
        actor=personas["reviewer"], township=regions["township_a"], period=PERIOD, reason="漏报一起出生"
    )
    assert approval.state == ApprovalState.OPEN and approval.withdrawn_reason == "漏报一起出生"
    report = events.change_report_create(actor=personas["clerk"], region_code=regions["village_a1"].code, period=PERIOD)
    assert report.period == PERIOD  # the supplementary report may now be filed


def test_an_uploaded_acceptance_cannot_be_withdrawn(personas, regions, month_done):
    _approve(personas, regions)
    services.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    with pytest.raises(Conflict) as exc:
        services.period_unapprove(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD, reason="x")
    assert exc.value.template is errors.NOT_APPROVED
    PeriodApproval.objects.filter(period=PERIOD).update(uploaded_at=PeriodApproval.objects.get().accepted_at)
    with pytest.raises(Conflict) as exc:
        services.period_unaccept(actor=personas["county"], township=regions["township_a"], period=PERIOD, reason="x")
    assert exc.value.template is errors.ALREADY_UPLOADED
    assert PeriodApproval.objects.get().state == ApprovalState.ACCEPTED


def test_unaccept_returns_the_month_to_the_township(personas, regions, month_done):
    _approve(personas, regions)
    services.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    approval = services.period_unaccept(
        actor=personas["county"], township=regions["township_a"], period=PERIOD, reason="乡镇需更正"
    )
    assert approval.state == ApprovalState.APPROVED
    services.period_unapprove(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD, reason="更正")
    assert not selectors.period_locked(regions["village_a1"].code, PERIOD)


def test_approving_twice_is_a_conflict(personas, regions, month_done):
    _approve(personas, regions)
    with pytest.raises(Conflict) as exc:
        _approve(personas, regions)
    assert exc.value.template is errors.NOT_OPEN
    assert PeriodApproval.objects.count() == 1


def test_existing_period_rule_still_comes_first(personas, regions):
    with pytest.raises(Invalid) as exc:
        events.change_report_create(actor=personas["clerk"], region_code=regions["village_a1"].code, period="2027-04")
    assert exc.value.template is event_errors.REPORT_PERIOD_INVALID
