"""The approval's work-queue sources (pims.web.queues): a township reviewer's
finished month whose work is all done, still to approve; a county
administrator's approved months still to accept. A few counts per user."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.events.periods import first_day, next_period
from pims.events.selectors import report_due_date
from pims.regions.scope import scope_q, user_prefix
from pims.web.queues import QueueItem

from . import selectors
from .models import ApprovalState, PeriodApproval


def _month_end(period: str) -> dt.datetime:
    start = dt.datetime.combine(first_day(next_period(period)), dt.time())
    return timezone.make_aware(start, timezone.get_default_timezone())


def months_to_approve(user) -> list[QueueItem]:
    if not has_capability(user, Cap.APPROVE_PERIOD) or user.region is None:
        return []
    period = selectors.recent_periods(1)[0]
    township = user.region
    approval = selectors.approval_of(township, period)
    # Only once the month's work is done is the approval itself what waits
    # (missing reports and forms to review are on the queues of their own).
    if approval.state != ApprovalState.OPEN or not selectors.open_work(township, period).empty:
        return []
    url = reverse("approval:overview") + f"?period={period}"
    return [
        QueueItem(
            key=f"approval.approve:{township.code}:{period}",
            title=f"{township.name} {period} 的数据待审批",
            url=url,
            created=_month_end(period),
            due=report_due_date(period),
            detail="审核完变更单和采集表、各村报送后审批本月",
        )
    ]


def months_to_accept(user) -> list[QueueItem]:
    if not has_capability(user, Cap.ACCEPT_PERIOD) or user_prefix(user) is None:
        return []
    waiting = list(
        PeriodApproval.objects.filter(scope_q(user, "region_code"), state=ApprovalState.APPROVED)
        .select_related("region")
        .order_by("period", "region_code")[:50]
    )
    return [
        QueueItem(
            key=f"approval.accept:{a.region_code}:{a.period}:{a.version}",
            title=f"{a.region.name} {a.period} 已由乡镇审批，待县级确认",
            url=reverse("approval:overview") + f"?period={a.period}",
            created=a.approved_at or _month_end(a.period),
            due=report_due_date(a.period) + dt.timedelta(days=5),
        )
        for a in waiting
    ]


def register() -> None:
    from pims.web.queues import register_source

    register_source("approval.approve", "待审批的月份", months_to_approve)
    register_source("approval.accept", "待确认的月份", months_to_accept)
