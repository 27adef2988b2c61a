"""Reads of the month approval: whether a month is locked, what still keeps
a township's month open, and the overview a reviewer or county works from.
The scope rule: a user sees the townships of their subtree (a village clerk
sees their own township's row through its prefix)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.events.models import ChangeReport, Event, ReportState
from pims.events.periods import is_period, period_of, previous_period
from pims.lib import clock
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope, scope_q, user_prefix
from pims.registry.models import FormState, Household

from .models import LOCKED_STATES, ApprovalState, PeriodApproval

OPEN_REPORT_STATES = (ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED)


def township_code(region_code: str) -> str:
    """The township a 12-digit code lies in (codes nest: 6 county, 3 township, 3 village)."""
    return region_code[:9] + "000"


def period_locked(region_code: str, period: str) -> bool:
    """Whether the month of the township holding `region_code` is approved or accepted."""
    if not region_code or len(region_code) != 12 or region_code[6:9] == "000":
        return False  # a county or higher: no township month to lock
    return PeriodApproval.objects.filter(
        region_code=township_code(region_code), period=period, state__in=LOCKED_STATES
    ).exists()


@dataclass
class OpenWork:
    """What keeps a township's month from being approved."""

    open_reports: int = 0
    forms_waiting: int = 0
    missing_villages: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.open_reports or self.forms_waiting or self.missing_villages)

    def items(self) -> list[str]:
        out = []
        if self.open_reports:
            out.append(f"未审核通过的变更单 {self.open_reports} 份")
        if self.forms_waiting:
            out.append(f"待审核的采集表 {self.forms_waiting} 份")
        if self.missing_villages:
            out.append("未报送变更单的村：" + "、".join(self.missing_villages))
        return out


def open_work(township: Region, period: str) -> OpenWork:
    """The month's unfinished work in the township: change reports not yet
    approved, collection forms waiting for review, villages with no village
    report for the month (a village with no changes files an empty one)."""
    prefix = township.prefix
    reports = ChangeReport.objects.filter(region_code__startswith=prefix, period=period)
    villages = Region.objects.filter(parent=township, level=Level.VILLAGE, valid_to__isnull=True).order_by("code")
    reported = set(reports.filter(source=Event.Source.VILLAGE).values_list("region_id", flat=True))
    return OpenWork(
        open_reports=reports.filter(state__in=OPEN_REPORT_STATES).count(),
        forms_waiting=Household.objects.filter(region_code__startswith=prefix, form_state=FormState.SUBMITTED).count(),
        missing_villages=[v.name for v in villages if v.pk not in reported],
    )


def may_approve(user, township: Region) -> bool:
    """A township reviewer of that township (not of a village, not the county)."""
    return has_capability(user, Cap.APPROVE_PERIOD) and user.region_id == township.pk


def may_accept(user, township: Region) -> bool:
    """A county administrator whose county holds the township."""
    return has_capability(user, Cap.ACCEPT_PERIOD) and code_in_scope(user, township.code)


def townships_visible_to(user) -> list[Region]:
    if not has_capability(user, Cap.VIEW_APPROVALS) or user_prefix(user) is None:
        return []
    region = user.region
    if region.level == Level.TOWNSHIP:
        return [region]
    return list(
        Region.objects.filter(scope_q(user, "code"), level=Level.TOWNSHIP, valid_to__isnull=True).order_by("code")
    )


def access_township(user, code: str) -> Region:
    """The township if the user may see its approvals; 404 otherwise."""
    for township in townships_visible_to(user):
        if township.code == code:
            return township
    raise Http404


def approval_of(township: Region, period: str) -> PeriodApproval:
    """The stored row, or an unsaved open one."""
    found = PeriodApproval.objects.filter(region_code=township.code, period=period).first()
    return found or PeriodApproval(region=township, region_code=township.code, period=period, state=ApprovalState.OPEN)


def recent_periods(count: int = 6) -> list[str]:
    """The last `count` finished months, newest first (the current one is not over)."""
    out, period = [], previous_period(period_of(clock.today()))
    for _ in range(count):
        out.append(period)
        period = previous_period(period)
    return out


def valid_period(period: str) -> bool:
    return is_period(period) and period < period_of(clock.today())


@dataclass
class Row:
    township: Region
    approval: PeriodApproval
    work: OpenWork | None
    can_approve: bool
    can_accept: bool


def approval_overview(user, period: str) -> list[Row]:
    """One row per visible township for the month, with what the user may do."""
    townships = townships_visible_to(user)
    stored = {
        a.region_code: a
        for a in PeriodApproval.objects.filter(period=period, region_code__in=[t.code for t in townships])
    }
    rows = []
    for t in townships:
        approval = stored.get(t.code) or approval_of(t, period)
        work = open_work(t, period) if approval.state == ApprovalState.OPEN else None
        rows.append(Row(t, approval, work, may_approve(user, t), may_accept(user, t)))
    return rows


def accepted_periods(prefix: str) -> Q:
    """Q over PeriodApproval for the accepted months of a subtree (bundles read this)."""
    return Q(region_code__startswith=prefix, state=ApprovalState.ACCEPTED)
