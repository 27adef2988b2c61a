from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from pims.accounts.requests import AuthedRequest

from .selectors import access_region, region_ancestors, region_children_with_counts, region_history


@login_required
def browse(request: AuthedRequest) -> HttpResponseRedirect:
    if request.user.region_id is None:
        raise Http404
    return redirect("regions:detail", code=request.user.region.code)


@login_required
def detail(request: AuthedRequest, code: str) -> HttpResponse:
    region = access_region(request.user, code)
    children = list(region_children_with_counts(user=request.user, region=region))
    context = {
        "region": region,
        "ancestors": [a for a in region_ancestors(region) if a.code.startswith(request.user.region.prefix)],
        "children": children,
        "active_count": sum(1 for c in children if c.is_active),
        "history": region_history(region),
    }
    return render(request, "regions/detail.html", context)
