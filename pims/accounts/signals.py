"""Audit receivers for authentication events (login, failure, lockout, logout)."""

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from pims.audit.models import Action
from pims.audit.services import audit_record, client_ip

from .middleware import SIGNED_IN_AT
from .models import User


@receiver(user_logged_in)
def _on_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()  # the absolute session lifetime starts
    audit_record(actor=user, action=Action.LOGIN, obj=user, region_code=user.region.code, ip=client_ip(request))


@receiver(user_logged_out)
def _on_logout(sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        reason = getattr(request, "pims_logout_reason", None)  # set when the system signs the user out
        audit_record(
            actor=user,
            action=Action.LOGOUT,
            obj=user,
            region_code=user.region.code,
            ip=client_ip(request),
            detail={"reason": reason} if reason else None,
        )


@receiver(user_login_failed)
def _on_login_failed(
    sender: object, credentials: dict[str, Any] | None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = (credentials or {}).get("username", "")[:150]
    known = User.objects.filter(username=username).first()
    audit_record(
        actor=known,
        username=username,
        action=Action.LOGIN_FAILED,
        obj=known,
        ip=client_ip(request),
    )


@receiver(user_locked_out)
def _on_lockout(
    sender: object, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    known = User.objects.filter(username=username).first()
    audit_record(actor=known, username=username or "", action=Action.LOCKOUT, obj=known, ip=ip_address)
