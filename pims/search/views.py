"""信息查询 pages: the search, saved queries and exports.

The search form is a GET form (its URL can be bookmarked and paged) for every
condition except the citizen ID number, which is only taken from a POST form
and never written back into the page, so the number reaches neither a URL,
an access log nor the browser history.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pims.accounts.roles import Cap, export_row_limit, has_capability
from pims.audit.services import client_ip
from pims.regions.models import Level
from pims.regions.selectors import region_list_visible_to
from pims.web.errors import refusals_as_messages

from . import selectors, services
from .forms import CRITERIA_KEYS, SearchForm, criteria_querydict

PAGE_SIZE = 50
FORM_KEYS = set(CRITERIA_KEYS) | {"citizen_id"}
REGION_CHOICES_MAX = 400


def _require_search(user):
    if not has_capability(user, Cap.VIEW_PERSONAL):
        raise Http404


def _query_string(criteria: dict) -> str:
    return urlencode(criteria_querydict(criteria))


def _region_choices(user):
    qs = (
        region_list_visible_to(user=user)
        .filter(level__in=[Level.TOWNSHIP, Level.VILLAGE], valid_to__isnull=True)
        .order_by("code")
    )
    return list(qs.values_list("code", "name")[:REGION_CHOICES_MAX])


@login_required
@require_http_methods(["GET", "POST"])
def search(request):
    user = request.user
    _require_search(user)
    by_id = request.method == "POST"
    data = request.POST if by_id else request.GET
    bound = by_id or bool(FORM_KEYS & set(request.GET))
    # A fresh page starts from persons with status 正常 (active).
    form = SearchForm(data if bound else None, user=user, allow_citizen_id=by_id, initial={"status": "1"})
    ctx = {
        "form": form,
        "by_id": by_id,
        "regions": _region_choices(user),
        "can_export": export_row_limit(user) > 0,
        "can_unmask": has_capability(user, Cap.UNMASK_PERSONAL),
        "row_limit": export_row_limit(user),
        "page": None,
    }
    if bound and form.is_valid():
        criteria = form.criteria()
        if by_id and "id_index" not in criteria:
            form.add_error("citizen_id", _("请输入公民身份号码"))
        else:
            paginator = selectors.search_paginator(user=user, criteria=criteria, per_page=PAGE_SIZE)
            page = paginator.get_page(None if by_id else request.GET.get("page"))
            page.object_list = selectors.decorate(page.object_list)
            ctx.update(
                page=page,
                query_string=_query_string(criteria),
                # Queries by ID number are neither saved nor exported.
                reusable=not by_id,
            )
    status = 422 if bound and form.errors else 200
    return render(request, "search/search.html", ctx, status=status)


def _criteria_from_get(request) -> dict:
    form = SearchForm(request.GET, user=request.user, allow_citizen_id=False)
    if not form.is_valid():
        raise Http404
    return form.criteria()


@login_required
@require_POST
def export(request):
    user = request.user
    if export_row_limit(user) <= 0:
        raise Http404
    criteria = _criteria_from_get(request)
    with refusals_as_messages(request):
        return _export_response(
            services.persons_export(
                actor=user,
                criteria=criteria,
                fmt=request.POST.get("format", "csv"),
                full_values=bool(request.POST.get("full_values")),
                ip=client_ip(request),
            )
        )
    return redirect(reverse("search:search") + "?" + _query_string(criteria))


def _export_response(result):
    if isinstance(result.body, bytes):
        response = HttpResponse(result.body, content_type=result.content_type)
    else:
        response = StreamingHttpResponse(result.body, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["X-Export-Rows"] = str(result.rows)
    return response


@login_required
def saved_list(request):
    _require_search(request.user)
    queries = selectors.saved_query_list_visible_to(user=request.user)
    return render(request, "search/saved_list.html", {"queries": queries})


@login_required
@require_POST
def saved_create(request):
    _require_search(request.user)
    criteria = _criteria_from_get(request)
    with refusals_as_messages(request):
        saved = services.saved_query_save(actor=request.user, name=request.POST.get("name", ""), criteria=criteria)
        messages.success(request, _("查询“%(name)s”已保存。") % {"name": saved.name})
        return redirect("search:saved_list")
    return redirect(reverse("search:search") + "?" + _query_string(criteria))


@login_required
def saved_run(request, pk):
    saved = selectors.access_saved_query(request.user, pk)
    return redirect(reverse("search:search") + "?" + _query_string(saved.criteria))


@login_required
@require_POST
def saved_delete(request, pk):
    saved = selectors.access_saved_query(request.user, pk)
    services.saved_query_delete(actor=request.user, saved=saved)
    messages.success(request, _("查询已删除。"))
    return redirect("search:saved_list")
