"""The register's work-queue sources (see pims.web.queues): forms returned for
correction, forms waiting for review, check runs with new errors."""

from __future__ import annotations

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Level
from pims.web.queues import QueueItem, register_source

from .checks.batch import check_run_list_visible_to
from .models import CheckRun, FormState
from .selectors import household_list_visible_to

# A queue lists at most this many items per source (the count stays exact
# where the source aggregates; the list page has the rest).
LIMIT = 50


def returned_forms(user) -> list[QueueItem]:
    """Forms a reviewer returned, for those who enter them: the village clerk
    and township operator of the village; above a township, only the forms
    the user entered."""
    if not has_capability(user, Cap.ENTER_FORMS) or user.region is None:
        return []
    rows = household_list_visible_to(user=user).filter(form_state=FormState.RETURNED)
    if user.region.level not in (Level.VILLAGE, Level.TOWNSHIP):
        rows = rows.filter(created_by=user)
    rows = (
        rows.annotate(open_comments=Count("review_comments", filter=Q(review_comments__resolved=False)))
        .select_related("village")
        .order_by("-updated_at")[:LIMIT]
    )
    return [
        QueueItem(
            key=f"registry.returned:{h.pk}:{h.version}",
            title=_("户 %(number)s 的采集表已退回，请修改后重新提交") % {"number": h.number},
            url=reverse("registry:household_edit", args=[h.pk]),
            created=h.updated_at,
            urgent=True,
            detail=_("%(village)s · %(n)s 条审核意见") % {"village": h.village.name, "n": h.open_comments},
        )
        for h in rows
    ]


def forms_to_review(user) -> list[QueueItem]:
    """Submitted forms, one item per village (a single form links straight to its review page)."""
    if not has_capability(user, Cap.REVIEW):
        return []
    groups = (
        household_list_visible_to(user=user)
        .filter(form_state=FormState.SUBMITTED)
        .values("region_code", "village__name")
        .annotate(n=Count("id"), latest=Max("updated_at"), first=Min("id"))
        .order_by("-latest")[:LIMIT]
    )
    out = []
    for g in groups:
        if g["n"] == 1:
            url = reverse("registry:household_review", args=[g["first"]])
        else:
            query = urlencode({"state": FormState.SUBMITTED, "village": g["region_code"]})
            url = f"{reverse('registry:household_list')}?{query}"
        out.append(
            QueueItem(
                key=f"registry.review:{g['region_code']}:{g['n']}:{g['latest'].timestamp():.0f}",
                title=_("%(village)s：%(n)s 份采集表待审核") % {"village": g["village__name"], "n": g["n"]},
                url=url,
                created=g["latest"],
                count=g["n"],
            )
        )
    return out


def check_runs_with_errors(user) -> list[QueueItem]:
    """The latest batch check of each region: failed, or with more errors than the run before it."""
    runs = list(
        check_run_list_visible_to(user=user)
        .exclude(state=CheckRun.State.RUNNING)
        .order_by("-started_at", "-id")[: LIMIT * 2]
    )
    latest: dict[str, CheckRun] = {}
    previous: dict[str, CheckRun] = {}
    for run in runs:
        if run.region_code not in latest:
            latest[run.region_code] = run
        elif run.region_code not in previous:
            previous[run.region_code] = run
    out = []
    for code, run in latest.items():
        before = previous.get(code)
        url = reverse("registry:check_run_detail", args=[run.pk])
        when = run.finished_at or run.started_at
        if run.state == CheckRun.State.FAILED:
            title = _("%(region)s 的批量审核运行失败，请重新运行") % {"region": run.region.name}
            detail = ""
        elif run.errors and (before is None or run.errors > before.errors):
            title = _("%(region)s 的批量审核发现 %(n)s 处错误") % {"region": run.region.name, "n": run.errors}
            detail = _("比上次增加 %(n)s 处") % {"n": run.errors - before.errors} if before else _("首次运行")
        else:
            continue
        out.append(QueueItem(key=f"registry.checks:{run.pk}", title=title, url=url, created=when, detail=detail))
    return out


def register() -> None:
    register_source("registry.returned", gettext_lazy("退回修改的采集表"), returned_forms)
    register_source("registry.review", gettext_lazy("待审核的采集表"), forms_to_review)
    register_source("registry.checks", gettext_lazy("批量审核发现的新错误"), check_runs_with_errors)
