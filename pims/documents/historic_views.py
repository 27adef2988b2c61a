"""Pages of the historic documents: the scoped list (per person), the
upload (queued on the task queue), the import's progress and its
rejected rows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from pims.accounts.roles import Cap, has_capability
from pims.audit.services import client_ip
from pims.jobs.selectors import job_latest_for, job_status
from pims.lib.errors import Refused
from pims.registry.selectors import access_person

from . import historic, historic_jobs, selectors
from .models import HistoricKind


@login_required
def historic_list(request):
    if not has_capability(request.user, Cap.VIEW_DOCUMENTS):
        raise Http404
    qs = selectors.historic_list_visible_to(user=request.user).select_related("holder")
    person = None
    if request.GET.get("person"):
        person = access_person(request.user, request.GET["person"])
        qs = qs.filter(holder=person)
    kind = request.GET.get("kind", "")
    if kind in HistoricKind.values:
        qs = qs.filter(kind=kind)
    context = {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "person": person,
        "kinds": HistoricKind.choices,
        "kind": kind,
        "can_import": historic_jobs.may_import_historic(request.user),
    }
    return render(request, "documents/historic_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def historic_import(request):
    if not historic_jobs.may_import_historic(request.user):
        raise Http404
    context: dict = {"headers": list(historic.HEADERS), "kinds": list(historic.KINDS)}
    status = 200
    if request.method == "POST":
        try:
            job = historic_jobs.historic_import_start(actor=request.user, upload=request.FILES.get("file"))
        except Refused as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            messages.success(request, _("文件已上传，导入在后台进行。"))
            return redirect("documents:historic_import_detail", pk=job.pk)
    context["imports"] = historic_jobs.historic_import_list_visible_to(user=request.user).select_related("actor")[:20]
    return render(request, "documents/historic_import.html", context, status=status)


def _progress_context(request, job) -> dict:
    queued = job_latest_for(job)
    return {
        "job": job,
        "running": job.state in (job.State.QUEUED, job.State.RUNNING),
        "queue": job_status(queued) if queued is not None and job.state != job.State.DONE else None,
        "can_fetch_rejected": historic_jobs.may_fetch_rejected(request.user),
    }


@login_required
@require_GET
def historic_import_detail(request, pk):
    job = historic_jobs.access_historic_import(request.user, pk)
    return render(request, "documents/historic_import_detail.html", _progress_context(request, job))


@login_required
@require_GET
def historic_import_progress(request, pk):
    job = historic_jobs.access_historic_import(request.user, pk)
    return render(request, "documents/_historic_progress.html", _progress_context(request, job))


@login_required
@require_GET
def historic_import_rejected(request, pk):
    """The rejected rows with their full ID numbers: audited as an export."""
    job = historic_jobs.access_historic_import(request.user, pk)
    if not historic_jobs.may_fetch_rejected(request.user):
        raise Http404
    try:
        handle = historic_jobs.rejected_open(actor=request.user, job=job, ip=client_ip(request))
    except Refused:
        raise Http404 from None
    name = f"historic-rejected-{job.pk}.csv"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="text/csv")
    response["Cache-Control"] = "no-store"
    return response
