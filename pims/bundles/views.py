"""The bundles page: at a county, its bundles and the export button; at the
province, the upload status of every county. Thin; 404 without the capability."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap, has_capability
from pims.jobs.services import job_enqueue

from . import export, selectors


def register_nav() -> None:
    from pims.web.modules import Item, register_item

    register_item(
        "stats",
        Item(
            _("数据上报"), "bundles:overview", Cap.VIEW_BUNDLES, _("已确认月份的数据包：导出、省级回执、各县上传情况")
        ),
    )


@login_required
def overview(request):
    if not has_capability(request.user, Cap.VIEW_BUNDLES):
        raise Http404
    county = selectors.user_county(request.user)
    context = {
        "tier": settings.PIMS_TIER,
        "bundles": selectors.bundle_list_visible_to(user=request.user)[:100],
        "status": selectors.upload_status(request.user) if settings.PIMS_TIER == "province" else [],
        "pending": export.new_months(county) if county is not None and settings.PIMS_TIER == "county" else [],
        "can_export": has_capability(request.user, Cap.EXPORT_BUNDLES) and county is not None,
    }
    return render(request, "bundles/overview.html", context)


@login_required
@require_POST
def export_start(request):
    county = selectors.user_county(request.user)
    if not has_capability(request.user, Cap.EXPORT_BUNDLES) or county is None:
        raise Http404
    job_enqueue(kind="bundle_export", actor=request.user, region_code=county.code, args={"county_code": county.code})
    messages.success(request, _("已开始导出数据包；完成后在下表中显示。"))
    return redirect("bundles:overview")
