from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pims.accounts.requests import AuthedRequest
from pims.lib import clock
from pims.web.errors import refusals_as_messages

from .models import Level
from .selectors import (
    access_region,
    region_ancestors,
    region_children_visible_to,
    region_children_with_counts,
    region_history,
    split_households,
)
from .services import (
    VillagePart,
    may_rename_regions,
    region_merge,
    region_merge_plan,
    region_rename,
    region_split,
    region_split_plan,
)


@login_required
def browse(request: AuthedRequest) -> HttpResponseRedirect:
    if request.user.region_id is None:
        raise Http404
    return redirect("regions:detail", code=request.user.region.code)


@login_required
def detail(request: AuthedRequest, code: str) -> HttpResponse:
    region = access_region(request.user, code)
    can_rename = may_rename_regions(request.user)
    if request.method == "POST":
        if not can_rename:
            raise Http404
        with refusals_as_messages(request):
            day = parse_date(request.POST.get("effective", "")) or clock.today()
            region_rename(
                actor=request.user,
                region=region,
                name=request.POST.get("name", ""),
                effective=day,
                basis=request.POST.get("basis", ""),
            )
            messages.success(request, _("区划名称已修改，原名称保留在变更记录中。"))
        return redirect("regions:detail", code=region.code)
    children = list(region_children_with_counts(user=request.user, region=region))
    context = {
        "region": region,
        "ancestors": [a for a in region_ancestors(region) if a.code.startswith(request.user.region.prefix)],
        "children": children,
        "active_count": sum(1 for c in children if c.is_active),
        "history": region_history(region),
        "can_rename": can_rename,
        "can_merge": can_rename and region.level == Level.TOWNSHIP and region.is_active,
        "can_split": can_rename and region.level == Level.VILLAGE and region.is_active,
        "today": clock.today(),
    }
    return render(request, "regions/detail.html", context)


def _change_form(request: AuthedRequest) -> tuple[date, str, bool]:
    day = parse_date(request.POST.get("effective", "")) or clock.today()
    return day, request.POST.get("basis", "").strip(), request.POST.get("action") == "confirm"


def _parts(text: str) -> list[VillagePart]:
    """One village per line: its 12-digit code, then (for a new one) its name."""
    parts = []
    for line in (text or "").splitlines():
        code, _sep, name = line.strip().partition(" ")
        if code:
            parts.append(VillagePart(code, name.strip()))
    return parts


@login_required
@require_POST
def merge(request: AuthedRequest, code: str) -> HttpResponse:
    """Merge villages of this township: a preview of what moves, then the
    merge itself (系统管理员 only; pims.regions.services.region_merge)."""
    township = access_region(request.user, code)
    if not may_rename_regions(request.user) or township.level != Level.TOWNSHIP:
        raise Http404
    day, basis, confirm = _change_form(request)
    chosen = set(request.POST.getlist("sources"))
    sources = [r for r in region_children_visible_to(user=request.user, region=township) if r.code in chosen]
    target = VillagePart(request.POST.get("target_code", "").strip(), request.POST.get("target_name", "").strip())
    if confirm:
        with refusals_as_messages(request):
            counts = region_merge(
                actor=request.user, township=township, sources=sources, target=target, effective=day, basis=basis
            )
            messages.success(
                request,
                _("区划已合并：%(h)s 户、%(p)s 人随之调整到新区划，原区划已撤销并保留变更记录。")
                % {"h": counts["households"], "p": counts["persons"]},
            )
            return redirect("regions:detail", code=township.code)
    plan, _goal = region_merge_plan(township=township, sources=sources, target=target)
    context = {
        "region": township,
        "plan": plan,
        "what": "merge",
        "effective": day,
        "basis": basis,
        "sources": sources,
        "target": target,
    }
    return render(request, "regions/change_preview.html", context)


@login_required
@require_POST
def split(request: AuthedRequest, code: str) -> HttpResponse:
    """Split this village: the parts, a household-by-household assignment
    (preview), then the split itself."""
    village = access_region(request.user, code)
    if not may_rename_regions(request.user) or village.level != Level.VILLAGE:
        raise Http404
    day, basis, confirm = _change_form(request)
    parts = _parts(request.POST.get("parts", ""))
    assignment = {
        int(key[3:]): str(request.POST.get(key, ""))
        for key in request.POST
        if key.startswith("hh-") and key[3:].isdigit()
    }
    if confirm:
        with refusals_as_messages(request):
            counts = region_split(
                actor=request.user, village=village, parts=parts, assignment=assignment, effective=day, basis=basis
            )
            messages.success(
                request,
                _("区划已拆分：%(h)s 户、%(p)s 人随之调整到新区划，原区划已撤销并保留变更记录。")
                % {"h": counts["households"], "p": counts["persons"]},
            )
            return redirect("regions:detail", code=village.parent.code if village.parent else village.code)
    plan, villages = region_split_plan(village=village, parts=parts, assignment=assignment)
    households = split_households(village)
    context = {
        "region": village,
        "plan": plan,
        "what": "split",
        "effective": day,
        "basis": basis,
        "parts_text": request.POST.get("parts", ""),
        "villages": villages,
        "households": [(pk, number, plan.moves.get(pk)) for pk, number in households],
    }
    return render(request, "regions/change_preview.html", context)
