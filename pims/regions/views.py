from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from pims.accounts.requests import AuthedRequest
from pims.lib import clock
from pims.web.errors import refusals_as_messages

from .selectors import access_region, region_ancestors, region_children_with_counts, region_history
from .services import may_rename_regions, region_rename


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
        "today": clock.today(),
    }
    return render(request, "regions/detail.html", context)
