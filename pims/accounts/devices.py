"""专人专机: an account's dedicated devices (issue 14.12).

The county administrator, at the machine itself, enrols the browser for an
account on the account's page: the answer sets a long-lived cookie holding a
credential signed with SECRET_KEY — the account, the Device row and a random
secret whose SHA-256 only is stored. An account with `device_binding` on signs
in (and stays signed in) only from a browser holding a valid, unrevoked
credential of its own, *and* from an allowed network when it has networks
(User.allowed_networks): two conditions. Enrolment, revocation, switching the
binding and each refusal are audited; no second person is needed.

The client-TLS alternative (a certificate per machine checked by the reverse
proxy) is described in docs/operator/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib.errors import NotPermitted

from .models import Device, User
from .roles import Cap, has_capability

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

COOKIE_PREFIX = "pims_device_"
SALT = "pims.accounts.device"
# Long-lived: a dedicated machine stays enrolled until revoked (five years).
MAX_AGE = 5 * 365 * 24 * 3600

REFUSED = _("此账户须在县管理员登记的专用设备上登录（专人专机）：本设备未登记或登记已撤销，请联系县管理员。")


def cookie_name(user: User) -> str:
    return f"{COOKIE_PREFIX}{user.pk}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_may_enrol(actor: User) -> None:
    if not has_capability(actor, Cap.ENROL_DEVICES):
        raise NotPermitted("enrolling devices needs Cap.ENROL_DEVICES")


def device_enrol(*, actor: User, user: User, label: str, ip: str | None = None) -> tuple[Device, str]:
    """Enrol a device for `user`; returns it and the credential for the
    browser's cookie (`set_cookie`). The caller has checked that `user` is in
    the actor's jurisdiction (selectors.access_user)."""
    _check_may_enrol(actor)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = Device.objects.create(
            user=user,
            label=(label or "").strip()[:60] or str(_("专用设备")),
            secret_hash=_digest(secret),
            enrolled_at=timezone.now(),
            enrolled_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=device,
            region_code=user.region.code,
            detail={"device_for": user.pk, "label": device.label},
            ip=ip,
        )
    credential = signing.dumps({"u": user.pk, "d": device.pk, "s": secret}, salt=SALT)
    return device, credential


def device_revoke(*, actor: User, device: Device, ip: str | None = None) -> Device:
    _check_may_enrol(actor)
    if device.revoked_at is not None:
        return device
    with transaction.atomic():
        device.revoked_at, device.revoked_by = timezone.now(), actor
        device.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action=Action.DELETE,
            obj=device,
            region_code=device.user.region.code,
            detail={"device_for": device.user_id, "label": device.label, "revoked": True},
            ip=ip,
        )
    return device


def device_binding_set(*, actor: User, user: User, on: bool, ip: str | None = None) -> User:
    """Switch the account's device binding on or off."""
    _check_may_enrol(actor)
    with transaction.atomic():
        user.device_binding = on
        user.save(update_fields=["device_binding"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=user,
            region_code=user.region.code,
            detail={"fields": ["device_binding"], "device_binding": on},
            ip=ip,
        )
    return user


def set_cookie(response: HttpResponse, user: User, credential: str) -> None:
    response.set_cookie(
        cookie_name(user),
        credential,
        max_age=MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_of_request(request: HttpRequest, user: User) -> Device | None:
    """The unrevoked device of `user` whose credential the browser holds; None otherwise."""
    raw = request.COOKIES.get(cookie_name(user))
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk or not isinstance(data.get("d"), int):
        return None
    device = Device.objects.filter(pk=data["d"], user=user, revoked_at__isnull=True).first()
    if device is None or not hmac.compare_digest(device.secret_hash, _digest(str(data.get("s", "")))):
        return None
    return device


def device_allowed(request: HttpRequest, user: User) -> bool:
    """True unless the account is bound to devices and this browser is not one of them."""
    return not user.device_binding or device_of_request(request, user) is not None


def binding_problem(request: HttpRequest, user: User, ip: str | None) -> str | None:
    """Why 专人专机 refuses this request of `user`: "network" (outside the
    account's networks), "device" (not an enrolled device), or None."""
    if not user.ip_allowed(ip):
        return "network"
    if not device_allowed(request, user):
        return "device"
    return None


def device_signed_in(request: HttpRequest, user: User) -> None:
    """Note the device's last use at a sign-in."""
    device = device_of_request(request, user) if user.device_binding else None
    if device is not None:
        Device.objects.filter(pk=device.pk).update(last_used_at=timezone.now())
