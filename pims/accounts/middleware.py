"""Per-request account policy: 专人专机 networks and mandatory 2FA."""

from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from pims.audit.models import Action
from pims.audit.services import audit_request, client_ip

# Paths a signed-in user may reach before completing 2FA. Only the sign-in
# pages themselves: the rest of /accounts/ (user management, password change)
# sits behind 2FA like everything else.
_OPEN_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:otp")
_OPEN_PREFIXES = ("/static/", "/i18n/")


def _open_path(path: str) -> bool:
    return path.startswith(_OPEN_PREFIXES) or path in {reverse(name) for name in _OPEN_URL_NAMES}


class SecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if not user.ip_allowed(client_ip(request)):
                audit_request(
                    request,
                    action=Action.ACCESS_DENIED,
                    obj=user,
                    region_code=user.region.code,
                    detail={"reason": "network"},
                )
                logout(request)
                # This middleware runs before MessageMiddleware, so the login
                # page is told the reason through the query string instead.
                return redirect(reverse("accounts:login") + "?reason=network")
            if user.requires_2fa and not user.is_verified() and not _open_path(request.path):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("需要完成双因素认证")}, status=401)
                return redirect(reverse("accounts:otp"))
        return self.get_response(request)
