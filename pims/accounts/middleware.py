"""Per-request account policy: 专人专机 networks and mandatory 2FA."""

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from pims.audit.models import Action
from pims.audit.services import audit_request

# Paths a signed-in user may reach before completing 2FA.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")


class SecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if not user.ip_allowed(request.META.get("REMOTE_ADDR")):
                audit_request(request, action=Action.ACCESS_DENIED, obj=user, detail={"reason": "network"})
                logout(request)
                messages.error(request, _("此账户不允许从当前网络登录，请联系系统管理员。"))
                return redirect("accounts:login")
            if user.requires_2fa and not user.is_verified() and not request.path.startswith(_OPEN_PREFIXES):
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": _("需要完成双因素认证")}, status=401)
                return redirect(reverse("accounts:otp"))
        return self.get_response(request)
