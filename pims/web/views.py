from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render

from pims.accounts.roles import (
    EXPORT_ROW_LIMITS,
    ROLE_CAPS,
    ROLE_LEVEL,
    ROLES_REQUIRING_2FA,
    Cap,
    Role,
    has_capability,
)
from pims.lib import clock

from .modules import MODULES, items_for
from .queues import work_queue
from .selectors import dashboard_figures, dashboard_panels

# The dashboard lists this many queue items; the 待办 page lists them all.
DASHBOARD_QUEUE_ITEMS = 20


@login_required
def dashboard(request):
    context = dashboard_figures(user=request.user)
    queue = work_queue(user=request.user)
    context.update(
        queue=queue,
        queue_entries=queue.entries[:DASHBOARD_QUEUE_ITEMS],
        today=clock.today(),
        panels=dashboard_panels(user=request.user),
    )
    return render(request, "web/dashboard.html", context)


@login_required
def queue(request):
    """Everything waiting for the user, one source at a time or all."""
    work = work_queue(user=request.user)
    source = request.GET.get("source", "")
    entries = [e for e in work.entries if e.source.key == source] if source else work.entries
    return render(request, "web/queue.html", {"queue": work, "entries": entries, "source": source})


@login_required
def queue_poll(request):
    """The counts and the newest items as JSON, for the page script's badge
    and notice. The page polls it by itself, so it must not count as the
    user's activity: the session is neither saved nor its cookie sent again
    (SESSION_SAVE_EVERY_REQUEST would otherwise push the idle timeout back on
    every poll, and a poll answered after a sign-out would set the cookie of
    the old session again)."""
    request.session.save = _not_saved  # type: ignore[method-assign]
    work = work_queue(user=request.user)
    return _PollResponse(
        {
            "total": work.total,
            "sources": [{"key": s.key, "label": str(s.label), "count": s.count} for s in work.sources],
            "items": [
                {
                    "key": e.item.key,
                    "title": e.item.title,
                    "url": e.item.url,
                    "source": str(e.source.label),
                    "overdue": e.overdue,
                }
                for e in work.entries[:DASHBOARD_QUEUE_ITEMS]
            ],
        }
    )


def _not_saved(must_create: bool = False) -> None:
    return None


class _PollResponse(JsonResponse):
    """A JSON answer that never (re)sets the session cookie."""

    def set_cookie(self, key: str, *args: Any, **kwargs: Any) -> None:
        if key != settings.SESSION_COOKIE_NAME:
            super().set_cookie(key, *args, **kwargs)


class _Line:
    def write(self, value):
        return value


@login_required
def panel_export(request, key: str):
    """A dashboard chart's table as CSV (audited, as every export)."""
    from pims.audit.models import Action
    from pims.audit.services import audit_record, client_ip
    from pims.lib import spreadsheet

    panel = next((p for p in dashboard_panels(user=request.user) if p.key == key), None)
    if panel is None:
        raise Http404
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        obj=("web.dashboard", key),
        region_code=request.user.region.code,
        ip=client_ip(request),
        detail={"what": "dashboard_panel", "report": key, "rows": len(panel.rows)},
    )
    writer = spreadsheet.csv_writer(_Line())
    lines = [str(writer.writerow(panel.headers)), *(str(writer.writerow(r)) for r in panel.rows)]
    body = "\ufeff" + "".join(lines)
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{key}-{clock.today():%Y%m%d}.csv"'
    return response


@login_required
def role_list(request):
    """The roles and what each may do — read-only: roles are fixed in
    pims/accounts/roles.py (the design has no custom roles)."""
    user = request.user
    if not has_capability(user, Cap.MANAGE_USERS):
        raise Http404
    caps = list(Cap)
    rows = [
        {
            "role": role,
            "levels": [level.label for level in ROLE_LEVEL.get(role) or []],
            "two_factor": role in ROLES_REQUIRING_2FA,
            "caps": [cap.label for cap in caps if cap in ROLE_CAPS.get(role, set())],
            "export_limit": EXPORT_ROW_LIMITS.get(role),
        }
        for role in Role
    ]
    matrix = [(cap.label, [cap in ROLE_CAPS.get(role, set()) for role in Role]) for cap in caps]
    return render(request, "web/roles.html", {"rows": rows, "roles": list(Role), "matrix": matrix})


@login_required
def module(request, key: str):
    mod = MODULES.get(key)
    if mod is None:
        raise Http404
    return render(request, "web/module.html", {"module": mod, "items": items_for(request.user, mod)})
