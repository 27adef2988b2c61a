"""The change reports' work-queue sources (see pims.web.queues): reports to
review, reports returned to their filer, and the month's village report due
or overdue (for the clerk: her village's; for a reviewer: the villages that
have not reported)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.regions.models import Level, Region
from pims.regions.scope import scope_q
from pims.web.queues import QueueItem, register_source

from . import rules
from .models import Event, ReportState
from .periods import previous_period
from .selectors import report_due_date, report_list_visible_to

LIMIT = 50


def reports_to_review(user) -> list[QueueItem]:
    """Submitted reports of the user's regions that the user did not file (four eyes)."""
    if not has_capability(user, Cap.REVIEW):
        return []
    reports = (
        report_list_visible_to(user=user)
        .filter(state=ReportState.SUBMITTED)
        .exclude(Q(created_by=user) | Q(submitted_by=user))
        .annotate(n=Count("events", filter=Q(events__review_status=Event.Review.PENDING)))
        .order_by("-submitted_at")[:LIMIT]
    )
    return [
        QueueItem(
            key=f"events.review:{r.pk}:{r.version}",
            title=_("%(region)s %(period)s 信息变更单待审核") % {"region": r.region.name, "period": r.period},
            url=reverse("events:report_review", args=[r.pk]),
            created=r.submitted_at or r.created_at,
            count=1,
            detail=_("%(source)s · %(n)s 条变动") % {"source": Event.Source(r.source).label, "n": r.n},
        )
        for r in reports
    ]


def reports_returned(user) -> list[QueueItem]:
    """Returned reports the user may file again."""
    if not rules.sources_for(user):
        return []
    reports = [
        r
        for r in report_list_visible_to(user=user).filter(state=ReportState.RETURNED).order_by("-reviewed_at")[:LIMIT]
        if rules.may_file(user, source=r.source, region=r.region)
    ]
    return [
        QueueItem(
            key=f"events.returned:{r.pk}:{r.version}",
            title=_("%(region)s %(period)s 信息变更单已退回，请修改后重新提交")
            % {"region": r.region.name, "period": r.period},
            url=reverse("events:report_detail", args=[r.pk]),
            created=r.reviewed_at or r.created_at,
            due=report_due_date(r.period),
            urgent=True,
        )
        for r in reports
    ]


def _submitted_villages(user, period: str) -> set[int]:
    return set(
        report_list_visible_to(user=user)
        .filter(period=period, source=Event.Source.VILLAGE, submitted_at__isnull=False)
        .values_list("region_id", flat=True)
    )


def _periods_to_watch(today: dt.date) -> list[str]:
    """The month being reported now and, once its due day has passed, the one
    before if still missing: the reporting month (rules.reporting_period) is
    last month until the due day, then this month."""
    current = rules.reporting_period(today)
    before = previous_period(current)
    return [current, before] if report_due_date(before) < today else [current]


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def village_reports_due(user) -> list[QueueItem]:
    """For the village clerk: her village's report of the reporting month
    (and an overdue earlier one). For a reviewer: per township, the villages
    whose report is overdue."""
    today = clock.today()
    if has_capability(user, Cap.COLLECT) and user.region is not None and user.region.level == Level.VILLAGE:
        return _own_village_due(user, today)
    if has_capability(user, Cap.REVIEW):
        return _villages_overdue(user, today)
    return []


def _own_village_due(user, today: dt.date) -> list[QueueItem]:
    village = user.region
    out = []
    for period in _periods_to_watch(today):
        if village.pk in _submitted_villages(user, period):
            continue
        due = report_due_date(period)
        query = urlencode({"period": period})
        out.append(
            QueueItem(
                key=f"events.due:{village.code}:{period}:{'late' if due < today else 'due'}",
                title=_("%(period)s 信息变更单待报送") % {"period": period},
                url=f"{reverse('events:report_list')}?{query}",
                created=_moment(dt.date.fromisoformat(f"{period}-01")),
                due=due,
                detail=_("本村当月无变动也须报送（零报告）"),
            )
        )
    return out


def _villages_overdue(user, today: dt.date) -> list[QueueItem]:
    out = []
    for period in _periods_to_watch(today):
        due = report_due_date(period)
        if due >= today:
            continue
        sent = _submitted_villages(user, period)
        missing = (
            Region.objects.filter(scope_q(user, "code"), level=Level.VILLAGE, valid_to__isnull=True)
            .exclude(pk__in=sent)
            .values("parent__code", "parent__name")
            .annotate(n=Count("id"))
            .order_by("parent__code")
        )
        for m in missing[:LIMIT]:
            query = urlencode({"township": m["parent__code"], "period": period})
            out.append(
                QueueItem(
                    key=f"events.overdue:{m['parent__code']}:{period}:{m['n']}",
                    title=_("%(township)s：%(n)s 个村 %(period)s 信息变更单逾期未报")
                    % {"township": m["parent__name"], "n": m["n"], "period": period},
                    url=f"{reverse('events:village_status')}?{query}",
                    created=_moment(due),
                    due=due,
                    count=m["n"],
                )
            )
    return out


def register() -> None:
    register_source("events.review", gettext_lazy("待审核的信息变更单"), reports_to_review)
    register_source("events.returned", gettext_lazy("退回修改的信息变更单"), reports_returned)
    register_source("events.due", gettext_lazy("应报送的信息变更单"), village_reports_due)
