"""Per-request account policy (专人专机 networks and devices, mandatory 2FA, the
absolute session lifetime) and the security headers of every answer."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from pims.audit.models import Action
from pims.audit.services import audit_request, client_ip

from .devices import binding_problem
from .models import User

# Paths a signed-in user may reach before completing 2FA. Only the sign-in
# pages themselves: the rest of /accounts/ (user management, password change)
# sits behind 2FA like everything else.
_OPEN_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:otp")
_OPEN_PREFIXES = ("/static/", "/i18n/")


def _open_path(path: str) -> bool:
    return path.startswith(_OPEN_PREFIXES) or path in {reverse(name) for name in _OPEN_URL_NAMES}


# The session's start, set at sign-in (pims.accounts.signals); real time, as
# every security mechanism keeps (pims.lib.clock).
SIGNED_IN_AT = "pims_signed_in_at"


def session_expired(request: HttpRequest) -> bool:
    """Past the absolute lifetime (SESSION_ABSOLUTE_SECONDS) since sign-in,
    however active the session was; a session without a start is expired."""
    started: float | None = request.session.get(SIGNED_IN_AT)
    lifetime: float = settings.SESSION_ABSOLUTE_SECONDS
    return started is None or time.time() - started > lifetime


def _signed_out(request: HttpRequest, reason: str) -> HttpResponse:
    """Sign the user out; the login page (or the API caller) is told why.
    This middleware runs before MessageMiddleware, so the page gets the
    reason through the query string; the audit row of the sign-out
    (pims.accounts.signals) names it."""
    request.pims_logout_reason = reason  # type: ignore[attr-defined]  # read by the sign-out's audit receiver
    logout(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("登录已失效，请重新登录")}, status=401)
    return redirect(reverse("accounts:login") + f"?reason={reason}")


def _verified(user: User) -> bool:
    """Signed in with a second factor: django_otp's middleware (before this
    one) gives the request's user `is_verified()`."""
    return bool(user.is_verified())  # type: ignore[attr-defined]


class SecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            # 专人专机: a session that leaves its networks, or whose device was revoked, ends.
            problem = binding_problem(request, user, client_ip(request))
            if problem is not None:
                audit_request(
                    request,
                    action=Action.ACCESS_DENIED,
                    obj=user,
                    region_code=user.region.code,
                    detail={"reason": problem},
                )
                return _signed_out(request, problem)
            if session_expired(request):
                return _signed_out(request, "expired")
            if user.requires_2fa and not _verified(user) and not _open_path(request.path):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("需要完成双因素认证")}, status=401)
                return redirect(reverse("accounts:otp"))
        return self.get_response(request)


class ResponseHeadersMiddleware:
    """Every answer carries the Content-Security-Policy (no inline script:
    every script is a vendored static file) and, unless it is a static file,
    ``Cache-Control: no-store`` — pages and API answers hold personal data,
    which no browser or proxy cache may keep. First in MIDDLEWARE, so that
    error pages get them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response
        self.static = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if not request.path.startswith(self.static):
            patch_cache_control(response, no_store=True)
        return response
