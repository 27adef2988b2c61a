from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import selectors
from .errors import AmendmentRefused
from .forms import AmendForm
from .models import Parameter
from .services import may_amend_parameters, may_view_parameters, parameter_amend


def _parameter_or_404(user, key: str) -> Parameter:
    # 404 for everyone without the capability: the pages are not advertised.
    if not may_view_parameters(user):
        raise Http404
    try:
        return selectors.parameter_get(key)
    except Parameter.DoesNotExist:
        raise Http404 from None


@login_required
def parameter_list(request):
    if not may_view_parameters(request.user):
        raise Http404
    context = {"rows": selectors.parameter_overview(), "can_amend": may_amend_parameters(request.user)}
    return render(request, "params/list.html", context)


@login_required
def parameter_detail(request, key: str):
    parameter = _parameter_or_404(request.user, key)
    context = {
        "parameter": parameter,
        "timeline": selectors.param_timeline(key),
        "history": selectors.parameter_history(parameter),
        "can_amend": may_amend_parameters(request.user),
    }
    return render(request, "params/detail.html", context)


@login_required
def parameter_amend_view(request, key: str):
    parameter = _parameter_or_404(request.user, key)
    if not may_amend_parameters(request.user):
        raise Http404
    form = AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            parameter_amend(actor=request.user, key=key, **form.cleaned_data)
        except AmendmentRefused as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(request, _("已记录新的取值，原取值作为历史保留。"))
            return redirect("params:detail", key=key)
    context = {"parameter": parameter, "form": form, "current": selectors.param_entry(key)}
    return render(request, "params/amend.html", context)
