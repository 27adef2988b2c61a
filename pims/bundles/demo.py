"""A county and a province side by side for a demonstration (`make tiers`,
docs/operator/province.md): the county's demo data is collected last month, so
that month can be approved by the township and accepted by the county and
then travel to the province in a bundle. Never in production.

Only the demo township (大孤家子镇) files its month: a month is approved per
township, and the demo shows one township arriving at the province while the
others are still open.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pims.accounts.demo import TOWNSHIP
from pims.accounts.roles import Role
from pims.accounts.services import user_create
from pims.approval import services as approval
from pims.approval.models import ApprovalState, PeriodApproval
from pims.events import services as events
from pims.events.models import ChangeReport, Event
from pims.events.periods import period_of
from pims.lib import clock
from pims.lib.errors import Refused
from pims.regions.models import Level, Region


def refuse_in_production() -> None:
    if settings.PIMS_ENV == "production":
        raise Refused("演示数据不能在生产环境中创建（PIMS_ENV=production）")


def last_month(today: dt.date) -> tuple[str, dt.date]:
    """The previous month and a working day in it (its 10th)."""
    first = today.replace(day=1)
    day = (first - dt.timedelta(days=1)).replace(day=10)
    return period_of(day), day


def county_demo(*, stdout) -> str:
    """Seed the county's demo as collected last month and accept that month
    for the demo township; returns the period. Idempotent."""
    refuse_in_production()
    period, day = last_month(clock.today())
    with clock.frozen_on(day):
        call_command("setup_demo", stdout=stdout)
        township = Region.objects.get(code=TOWNSHIP)
        _file_village_reports(township, period)
    if not PeriodApproval.objects.filter(region_code=TOWNSHIP, period=period, state=ApprovalState.ACCEPTED).exists():
        users = get_user_model().objects
        approval.period_approve(actor=users.get(username="reviewer"), township=township, period=period)
        approval.period_accept(actor=users.get(username="county"), township=township, period=period)
    stdout.write(f"{township.name} {period}: 乡镇已审批、县级已确认 (approved and accepted)")
    return period


def _file_village_reports(township: Region, period: str) -> None:
    """Every village of the township files its (empty) month report, approved
    by the township reviewer; villages without a clerk get a demo clerk."""
    reviewer = get_user_model().objects.get(username="reviewer")
    villages = Region.objects.filter(parent=township, level=Level.VILLAGE, valid_to__isnull=True).order_by("code")
    for village in villages:
        if ChangeReport.objects.filter(region_code=village.code, period=period, source=Event.Source.VILLAGE).exists():
            continue
        clerk = _village_clerk(village)
        report = events.change_report_create(actor=clerk, region_code=village.code, period=period)
        report = events.change_report_submit(actor=clerk, report=report)
        events.change_report_approve(actor=reviewer, report=report)


def _village_clerk(village: Region):
    users = get_user_model().objects
    found = users.filter(role=Role.VILLAGE_CLERK, region=village, is_active=True).order_by("pk").first()
    if found is not None:
        return found
    # A clerk nobody signs in as: a random password, never printed.
    return user_create(
        actor=None,
        username=f"clerk-{village.code}",
        password=secrets.token_urlsafe(16),
        role=Role.VILLAGE_CLERK,
        region=village,
    )
