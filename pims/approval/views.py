"""The month-approval page: per township and month, its state, what is still
open, and the step the user may take. Thin: rules in services/selectors;
404 to a user without the capability or outside the region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap, has_capability
from pims.web.errors import refusals_as_messages

from . import selectors, services


def register_nav() -> None:
    """Menu entry of 月度审批; called from ApprovalConfig.ready()."""
    from pims.web.modules import Item, register_item

    register_item(
        "stats",
        Item(_("月度审批"), "approval:overview", Cap.VIEW_APPROVALS, _("乡镇审批本月数据，县级确认后锁定并上报")),
    )


@login_required
def overview(request):
    if not has_capability(request.user, Cap.VIEW_APPROVALS):
        raise Http404
    periods = selectors.recent_periods(12)
    period = request.GET.get("period", "")
    if period not in periods:
        period = periods[0]
    context = {
        "period": period,
        "periods": periods,
        "rows": selectors.approval_overview(request.user, period),
    }
    return render(request, "approval/overview.html", context)


STEPS = {
    "approve": lambda user, t, period, post: services.period_approve(actor=user, township=t, period=period),
    "unapprove": lambda user, t, period, post: services.period_unapprove(
        actor=user, township=t, period=period, reason=post.get("reason", "")
    ),
    "accept": lambda user, t, period, post: services.period_accept(actor=user, township=t, period=period),
    "unaccept": lambda user, t, period, post: services.period_unaccept(
        actor=user, township=t, period=period, reason=post.get("reason", "")
    ),
}
DONE = {
    "approve": _("已审批，该月数据已锁定。"),
    "unapprove": _("已撤回审批，该月可以继续报告。"),
    "accept": _("已确认，该月数据将随下一个数据包上报省级。"),
    "unaccept": _("已撤回确认。"),
}


@login_required
@require_POST
def step(request, code, period, name):
    if not has_capability(request.user, Cap.VIEW_APPROVALS) or name not in STEPS:
        raise Http404
    township = selectors.access_township(request.user, code)
    with refusals_as_messages(request):
        STEPS[name](request.user, township, period, request.POST)
        messages.success(request, DONE[name])
    return redirect(reverse("approval:overview") + f"?period={period[:7]}")
