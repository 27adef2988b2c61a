"""The volume register's pages (装订册), included by the registry's urls as
``volumes/``. Thin views over `pims.registry.volumes`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pims.accounts.roles import Cap, has_capability
from pims.lib.errors import Refused
from pims.regions.models import Level
from pims.regions.selectors import region_list_visible_to

from . import volumes


def register_nav() -> None:
    from pims.web.modules import Item, register_item

    register_item(
        "registry",
        Item(
            gettext_lazy("装订册登记"),
            "registry:volume_list",
            Cap.VIEW_PERSONAL,
            gettext_lazy("原始采集表按村装订成册：册号、存放地点、保管人，查询任一户的纸质表在哪里"),
        ),
    )


def _villages(user):
    return region_list_visible_to(user=user).filter(level=Level.VILLAGE, valid_to__isnull=True).order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def volume_list(request):
    user = request.user
    if not has_capability(user, Cap.VIEW_PERSONAL):
        raise Http404
    values, problems = {}, {}
    if request.method == "POST":
        village = _villages(user).filter(code=request.POST.get("village", "")).first()
        if village is None:
            raise Http404
        values = request.POST.dict()
        try:
            volume = volumes.volume_save(actor=user, data=values, village=village)
        except Refused as exc:
            messages.error(request, "；".join(str(m) for m in exc.messages))
            problems = {p.field: p.message for p in getattr(exc, "problems", [])}
        else:
            messages.success(request, _("已登记装订册 %(number)s") % {"number": volume.number})
            return redirect("registry:volume_detail", pk=volume.pk)
    qs = volumes.volume_list_visible_to(user=user)
    village = request.GET.get("village", "").strip()
    if village:
        qs = qs.filter(region_code__startswith=village)
    return render(
        request,
        "registry/volume_list.html",
        {
            "volumes": qs[:500],
            "villages": _villages(user),
            "village": village,
            "unregistered": volumes.unregistered_numbers(user=user),
            "can_manage": volumes.may_manage_volumes(user),
            "values": values,
            "problems": problems,
        },
        status=422 if problems else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def volume_detail(request, pk):
    user = request.user
    volume = volumes.access_volume(user, pk)
    if request.method == "POST":
        try:
            volumes.volume_save(actor=user, data=request.POST.dict(), volume=volume)
        except Refused as exc:
            messages.error(request, "；".join(str(m) for m in exc.messages))
        else:
            messages.success(request, _("已更新装订册的存放地点和保管人"))
        return redirect("registry:volume_detail", pk=volume.pk)
    return render(
        request,
        "registry/volume_detail.html",
        {
            "volume": volume,
            "forms": volumes.volume_forms(volume)[:1000],
            "can_manage": volumes.may_manage_volumes(user),
        },
    )
