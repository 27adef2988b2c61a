from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .modules import MODULES, items_for
from .selectors import dashboard_figures


@login_required
def dashboard(request):
    return render(request, "web/dashboard.html", dashboard_figures(user=request.user))


@login_required
def module(request, key: str):
    mod = MODULES.get(key)
    if mod is None:
        raise Http404
    return render(request, "web/module.html", {"module": mod, "items": items_for(request.user, mod)})
