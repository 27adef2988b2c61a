"""Batch logic check pages: start a run, list runs, a run's report, drill-down.

Every page goes through the scoped selectors in `checks.batch`; a run or a
region outside the user's jurisdiction is a 404, like a missing one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap
from pims.regions.models import Level, Region
from pims.regions.selectors import region_list_visible_to

from .checks import RULES
from .checks.batch import (
    access_check_run,
    check_hits_for_cell,
    check_run_list_visible_to,
    check_run_matrix,
    check_run_start,
    may_run_checks,
)
from .checks.runner import register_rules

PAGE_SIZE = 50
RUNNABLE_LEVELS = [Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


def register_nav() -> None:
    """Called from RegistryConfig.ready(): the navigation entry."""
    from pims.web.modules import Item, register_item

    register_item(
        "registry",
        Item(
            gettext_lazy("批量逻辑审核"),
            "registry:check_run_list",
            Cap.REVIEW,
            gettext_lazy("对本辖区的户和人员运行全部逻辑审核规则，按村统计问题并逐户核查"),
        ),
    )


def _require_checker(user) -> None:
    if not may_run_checks(user):
        raise Http404


def _runnable_regions(user):
    return region_list_visible_to(user=user).filter(level__in=RUNNABLE_LEVELS, valid_to__isnull=True).order_by("code")


@login_required
def check_run_list(request):
    _require_checker(request.user)
    runs = Paginator(check_run_list_visible_to(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": runs, "regions": _runnable_regions(request.user), "rule_count": len(register_rules())}
    return render(request, "registry/checks/run_list.html", context)


@login_required
@require_POST
def check_run_create(request):
    _require_checker(request.user)
    try:
        region = _runnable_regions(request.user).get(code=request.POST.get("region", ""))
    except Region.DoesNotExist:
        raise Http404 from None
    run = check_run_start(actor=request.user, region=region)
    messages.success(
        request,
        _("逻辑审核完成：%(region)s，错误 %(errors)s 个，提示 %(warnings)s 个。")
        % {"region": region.name, "errors": run.errors, "warnings": run.warnings},
    )
    return redirect("registry:check_run_detail", pk=run.pk)


@login_required
def check_run_detail(request, pk: int):
    run = access_check_run(request.user, pk)
    matrix = check_run_matrix(run)
    villages = matrix["villages"]
    rows = []
    for rule_id in sorted(matrix["cells"]):
        by_village = matrix["cells"][rule_id]
        rows.append(
            {
                "rule": RULES.get(rule_id),
                "rule_id": rule_id,
                "cells": [(code, by_village.get(code)) for code, _name in villages],
                "total": sum(r.hits for r in by_village.values()),
            }
        )
    context = {"run": run, "villages": villages, "rows": rows, "quiet_rules": run.rules - len(rows)}
    return render(request, "registry/checks/run_detail.html", context)


def _household_url(pk: int) -> str | None:
    try:
        return reverse("registry:household_detail", args=[pk])
    except NoReverseMatch:
        return None


@login_required
def check_run_cell(request, pk: int, rule_id: str, village_code: str):
    run = access_check_run(request.user, pk)
    rule = RULES.get(rule_id)
    if rule is None or rule.query is None or not village_code.startswith(run.region.prefix):
        raise Http404
    page = Paginator(check_hits_for_cell(run, rule_id, village_code), PAGE_SIZE).get_page(request.GET.get("page"))
    hits = [{"hit": h, "url": _household_url(h.household_id)} for h in page]
    village = Region.objects.filter(code=village_code).first()
    context = {"run": run, "rule": rule, "village_code": village_code, "village": village, "page": page, "hits": hits}
    return render(request, "registry/checks/run_cell.html", context)
