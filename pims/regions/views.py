from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .selectors import access_region, region_ancestors, region_children_visible_to


@login_required
def browse(request):
    return redirect("regions:detail", code=request.user.region.code)


@login_required
def detail(request, code: str):
    region = access_region(request.user, code)
    context = {
        "region": region,
        "ancestors": [a for a in region_ancestors(region) if a.code.startswith(request.user.region.prefix)],
        "children": region_children_visible_to(user=request.user, region=region),
        "history": region.history.all(),
    }
    return render(request, "regions/detail.html", context)
