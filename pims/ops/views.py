from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from pims.accounts.roles import Cap, has_capability

from . import selectors
from .health import queue_worker_status


@login_required
def scheduled_jobs(request):
    # 404 for everyone else: the page is not advertised.
    if not has_capability(request.user, Cap.VIEW_SCHEDULED_JOBS):
        raise Http404
    context = {"rows": selectors.scheduled_jobs_overview(), "worker": queue_worker_status()}
    return render(request, "ops/schedule.html", context)
