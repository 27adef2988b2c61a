import pytest
from django.urls import reverse

from pims.approval.models import ApprovalState, PeriodApproval

from .conftest import PERIOD, file_village_report

pytestmark = pytest.mark.django_db


def _step(code, name):
    return reverse("approval:step", args=[code, PERIOD, name])


def test_reviewer_approves_and_county_accepts_through_the_page(client_for, regions, month_done):
    reviewer = client_for("reviewer")
    page = reviewer.get(reverse("approval:overview") + f"?period={PERIOD}").content.decode()
    assert regions["township_a"].name in page and 'data-testid="approve"' in page
    reviewer.post(_step(regions["township_a"].code, "approve"))
    assert PeriodApproval.objects.get().state == ApprovalState.APPROVED
    county = client_for("county")
    page = county.get(reverse("approval:overview") + f"?period={PERIOD}").content.decode()
    assert regions["township_b"].name in page and 'data-testid="accept"' in page
    county.post(_step(regions["township_a"].code, "accept"))
    assert PeriodApproval.objects.get().state == ApprovalState.ACCEPTED


def test_refused_step_shows_the_open_work(client_for, regions, clerks):
    file_village_report(clerks["village_a1"], regions["village_a1"])
    resp = client_for("reviewer").post(_step(regions["township_a"].code, "approve"), follow=True)
    text = resp.content.decode()
    assert "还有未办结的工作" in text and regions["village_a2"].name in text
    assert not PeriodApproval.objects.filter(state=ApprovalState.APPROVED).exists()


def test_clerk_sees_nothing_and_others_get_404(client_for, regions, month_done):
    for name in ("clerk", "operator", "sysadmin", "auditor"):
        assert client_for(name).get(reverse("approval:overview")).status_code == 404
    outsider = client_for("outsider")
    assert outsider.post(_step(regions["township_a"].code, "approve")).status_code == 404
    assert outsider.post(_step("999999999999", "approve")).status_code == 404
    assert not PeriodApproval.objects.exists()
