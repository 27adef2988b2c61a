"""Pages of the historic documents: the scoped list (per person) and the import."""

import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from pims.accounts.roles import Cap, has_capability
from pims.lib.errors import Refused
from pims.registry.selectors import access_person

from . import historic, selectors
from .models import HistoricKind

MAX_UPLOAD = 20 * 1024 * 1024


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
        "can_import": has_capability(request.user, Cap.IMPORT_DATA),
    }
    return render(request, "documents/historic_list.html", context)


@login_required
def historic_import(request):
    if not (has_capability(request.user, Cap.IMPORT_DATA) and has_capability(request.user, Cap.VIEW_DOCUMENTS)):
        raise Http404
    context: dict = {"headers": list(historic.HEADERS), "kinds": list(historic.KINDS)}
    status = 200
    upload = request.FILES.get("file") if request.method == "POST" else None
    if request.method == "POST":
        if upload is None or not upload.name.lower().endswith((".csv", ".xlsx")) or upload.size > MAX_UPLOAD:
            context["error"] = "请选择 CSV 或 XLSX 文件（不超过 20 MB）"
            status = 422
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / ("upload.xlsx" if upload.name.lower().endswith(".xlsx") else "upload.csv")
                with open(path, "wb") as fh:
                    for chunk in upload.chunks():
                        fh.write(chunk)
                try:
                    header, rows = historic.read_rows(path, upload.name)
                    context["result"] = historic.historic_import(
                        actor=request.user, header=header, rows=rows, source=upload.name
                    )
                except Refused as exc:
                    context["error"] = exc.message
                    status = exc.status
    return render(request, "documents/historic_import.html", context, status=status)
