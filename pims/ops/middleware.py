"""Request id, client address and user id of every request, for the logs and
the audit log (pims.lib.request_context); and maintenance mode."""

import re
import uuid
from pathlib import Path

from django.http import HttpResponse

from pims.audit.services import _from_trusted_proxy, client_ip
from pims.lib import request_context

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_of(request) -> str:
    """nginx's $request_id when the request comes through a trusted proxy (one
    id from the proxy's log to ours), else a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    remote = request.META.get("REMOTE_ADDR") or ""
    if given and _VALID_ID.match(given) and remote and _from_trusted_proxy(remote):
        return given
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        token = request_context.begin(
            request_context.RequestContext(request_id=request.request_id, client_ip=client_ip(request))
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.end(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class UserContextMiddleware:
    """After authentication: the user id joins the request's context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = request_context.current()
        user = getattr(request, "user", None)
        if context is not None and getattr(user, "is_authenticated", False):
            token = request_context.begin(
                request_context.RequestContext(context.request_id, context.client_ip, user.pk)
            )
            try:
                return self.get_response(request)
            finally:
                request_context.end(token)
        return self.get_response(request)


def maintenance_on() -> bool:
    """`manage.py maintenance on` writes settings.MAINTENANCE_FILE; one stat per request."""
    from django.conf import settings

    return Path(settings.MAINTENANCE_FILE).exists()


def maintenance_page() -> bytes:
    """The same static page nginx shows while gunicorn is stopped (deploy/nginx/pims.conf)."""
    return (Path(__file__).resolve().parent.parent / "static" / "maintenance.html").read_bytes()


class MaintenanceMiddleware:
    """While an upgrade migrates the database: every page answers 503 with a
    page in Chinese (and Retry-After), /healthz says "maintenance", so a load
    balancer and the users know; nothing touches the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not maintenance_on() or request.path.startswith("/static/") or request.path == "/healthz":
            return self.get_response(request)
        response = HttpResponse(maintenance_page(), status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = "300"
        response["Cache-Control"] = "no-store"
        return response
