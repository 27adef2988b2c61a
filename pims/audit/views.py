from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from pims.accounts.roles import Cap, has_capability

from .models import AuditEntry


@login_required
def entry_list(request):
    if not has_capability(request.user, Cap.READ_AUDIT):
        raise Http404
    entries = AuditEntry.objects.select_related("actor")[:200]
    return render(request, "audit/entry_list.html", {"entries": entries})
