"""The import page: upload a police extract, queue the import (pims.integration.launch,
run by the task queue's worker), watch its progress (htmx polling of the
job's row, with the queue's state) and fetch the rejected rows (scoped, audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.services import client_ip
from pims.jobs.selectors import job_status
from pims.lib.errors import Refused
from pims.web.errors import refusals_as_messages

from . import launch, selectors, services
from .forms import ImportForm
from .rejected import may_fetch_rejected, rejected_rows_open
from .services import may_import


def _require_importer(user) -> None:
    if not may_import(user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    _require_importer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = launch.import_start(
                actor=request.user,
                upload=data["file"],
                mapping_upload=data["mapping"],
                village_default=data["village_default"],
            )
        except Refused as exc:  # the form keeps the choices made
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("文件已上传，导入在后台进行。"))
            return redirect("integration:import_detail", pk=job.pk)
    jobs = selectors.import_job_list_visible_to(user=request.user).select_related("actor")[:50]
    return render(request, "integration/import_list.html", {"form": form, "jobs": jobs})


def _progress_context(request, job):
    queued = launch.queue_job(job)
    return {
        "job": job,
        "progress": selectors.import_progress(job),
        "queue": job_status(queued) if queued is not None and job.state != job.State.DONE else None,
        "can_fetch_rejected": may_fetch_rejected(request.user),
    }


@login_required
@require_GET
def import_detail(request, pk):
    job = selectors.access_import_job(request.user, pk)
    return render(request, "integration/import_detail.html", _progress_context(request, job))


@login_required
@require_GET
def import_progress(request, pk):
    job = selectors.access_import_job(request.user, pk)
    return render(request, "integration/_import_progress.html", _progress_context(request, job))


@login_required
@require_POST
def import_resume(request, pk):
    job = selectors.access_import_job(request.user, pk)
    with refusals_as_messages(request):
        launch.import_resume(actor=request.user, job=job)
        messages.success(request, _("导入已重新开始，将从上次提交处继续。"))
    return redirect("integration:import_detail", pk=job.pk)


@login_required
@require_GET
def import_rejected(request, pk):
    """The rejected rows with their full ID numbers: audited as an export."""
    job = selectors.access_import_job(request.user, pk)
    if not may_fetch_rejected(request.user):
        raise Http404
    handle = rejected_rows_open(actor=request.user, job=job, ip=client_ip(request))
    response = FileResponse(handle, as_attachment=True, filename=f"rejected-{job.pk}.csv", content_type="text/csv")
    response["Cache-Control"] = "no-store"
    return response


# --- the review queue of departmental records -------------------------------------------


@login_required
@require_GET
def review_list(request):
    """Records of departmental files waiting for this reviewer (404 without the review capability)."""
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    records = selectors.intake_review_list_visible_to(user=request.user).select_related("job")[:200]
    return render(request, "integration/review_list.html", {"records": records})


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk):
    record = selectors.access_intake_record(request.user, pk)
    if request.method == "POST":
        action, note = request.POST.get("action"), request.POST.get("note", "")
        with refusals_as_messages(request):
            if action == "accept":
                choices = {role: _int(request.POST.get(role)) for role in ("husband", "wife")}
                record = services.intake_record_accept(actor=request.user, record=record, choices=choices, note=note)
                messages.success(request, _("已确认：%(state)s") % {"state": record.get_state_display()})
            elif action == "dismiss":
                services.intake_record_dismiss(actor=request.user, record=record, note=note)
                messages.success(request, _("已驳回该记录。"))
            else:
                raise Http404
            return redirect("integration:review_list")
    sides = selectors.intake_record_sides(user=request.user, record=record)
    return render(request, "integration/review_detail.html", {"record": record, "sides": sides})


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None
