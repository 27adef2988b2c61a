"""Writes on user accounts. Each service validates, writes and appends its
audit entry in one transaction; audit details name changed fields only, never
passwords or the values of personal fields.

`actor=None` means the system itself (demo setup, management commands). A real
actor must hold Cap.MANAGE_USERS and may only touch users — and place them in
regions — inside their own jurisdiction.
"""

import ipaddress
from enum import Enum
from typing import Any, Final

import axes.utils
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib.errors import NotPermitted
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope

from . import lockout
from .models import User
from .roles import ROLE_LEVEL, Cap, Role, has_capability

# Fields a user-management form may change, in display order.
EDITABLE_FIELDS = ("role", "region", "full_name", "phone", "allowed_networks")


# --- validation helpers -----------------------------------------------------


def normalize_networks(text: str) -> str:
    """Validate 'one IP or CIDR per line' and return it with blank lines and
    surrounding spaces removed. The error names the offending line."""
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            ipaddress.ip_network(line, strict=False)
        except ValueError:
            raise ValidationError(
                _("第 %(number)d 行“%(line)s”不是有效的 IP 地址或网段（CIDR）。") % {"number": number, "line": line}
            ) from None
        lines.append(line)
    return "\n".join(lines)


def check_role_region(role: str, region: Region) -> None:
    """The role must sit at its level of the region tree (roles.ROLE_LEVEL)."""
    if role not in Role.values:
        raise ValidationError({"role": _("无效的角色。")})
    levels = ROLE_LEVEL[Role(role)]
    if levels is not None and region.level not in levels:
        wanted = "、".join(str(Level(level).label) for level in levels)
        raise ValidationError(
            {
                "region": _("%(role)s必须属于%(wanted)s级区划，所选区划“%(region)s”是%(level)s级。")
                % {
                    "role": Role(role).label,
                    "wanted": wanted,
                    "region": region.name,
                    "level": region.get_level_display(),
                }
            }
        )
    if not region.is_active:
        raise ValidationError({"region": _("所选区划已撤销，不能再分配用户。")})


def _check_actor(actor: User | None, *, region: Region | None = None, target: User | None = None) -> None:
    """A real actor needs Cap.MANAGE_USERS and jurisdiction over both the
    target user and the region being assigned. Views check this too (as 404);
    the service refuses again so that no caller can skip it."""
    if actor is None:
        return
    if not has_capability(actor, Cap.MANAGE_USERS):
        raise NotPermitted("actor may not manage users")
    if target is not None and not code_in_scope(actor, target.region.code):
        raise NotPermitted("user outside actor's jurisdiction")
    if region is not None and not code_in_scope(actor, region.code):
        raise ValidationError({"region": _("所选区划不在您的管辖范围内。")})


def _merge(errors: dict[str, list[str]], exc: ValidationError, default_field: str) -> None:
    if hasattr(exc, "error_dict"):
        for key, errs in exc.error_dict.items():
            errors.setdefault(key, []).extend(e for err in errs for e in err.messages)
    else:
        errors.setdefault(default_field, []).extend(exc.messages)


def _audit(actor: User | None, action: str, user: User, detail: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, obj=user, region_code=user.region.code, detail=detail)


# --- services ----------------------------------------------------------------


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    region: Region,
    full_name: str = "",
    phone: str = "",
    allowed_networks: str = "",
) -> User:
    """Create an active account; returns the user. Two-factor roles set up
    their TOTP device on first sign-in."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    _check_actor(actor, region=region)

    candidate = User(username=username, role=role, region=region, full_name=full_name, phone=phone)
    try:
        User.username_validator(username)
        if not username:
            raise ValidationError(_("请填写用户名。"))
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("用户名已存在。"))
    except ValidationError as exc:
        _merge(errors, exc, "username")
    try:
        check_role_region(role, region)
    except ValidationError as exc:
        _merge(errors, exc, "role")
    try:
        allowed_networks = normalize_networks(allowed_networks)
    except ValidationError as exc:
        _merge(errors, exc, "allowed_networks")
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        _merge(errors, exc, "password")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            region=region,
            full_name=full_name,
            phone=phone,
            allowed_networks=allowed_networks,
            password_changed_at=timezone.now(),
        )
        user.set_password(password)
        user.save()
        fields = ["username", "password", "role", "region"]
        fields += [name for name in ("full_name", "phone", "allowed_networks") if getattr(user, name)]
        _audit(actor, Action.CREATE, user, {"fields": fields, "role": role})
    return user


class _Unset(Enum):
    """An argument left out (None could be a value)."""

    UNSET = "unset"


_UNSET: Final = _Unset.UNSET


def user_update(
    *,
    actor: User | None,
    user: User,
    role: str | _Unset = _UNSET,
    region: Region | _Unset = _UNSET,
    full_name: str | _Unset = _UNSET,
    phone: str | _Unset = _UNSET,
    allowed_networks: str | _Unset = _UNSET,
) -> User:
    """Change account fields; arguments left out stay as they are. Returns the
    user. An administrator cannot change their own role (that would let them
    grant themselves access to personal data)."""
    _check_actor(actor, target=user, region=None if region is _UNSET else region)
    new_role = user.role if role is _UNSET else role
    new_region = user.region if region is _UNSET else region
    networks = user.allowed_networks if allowed_networks is _UNSET else allowed_networks
    errors: dict[str, list[str]] = {}
    try:
        check_role_region(new_role, new_region)
    except ValidationError as exc:
        _merge(errors, exc, "role")
    try:
        networks = normalize_networks(networks)
    except ValidationError as exc:
        _merge(errors, exc, "allowed_networks")
    new: dict[str, object] = {
        "role": new_role,
        "region": new_region,
        "full_name": user.full_name if full_name is _UNSET else full_name,
        "phone": user.phone if phone is _UNSET else phone,
        "allowed_networks": networks,
    }
    if actor is not None and actor.pk == user.pk and new_role != user.role:
        errors.setdefault("role", []).append(_("不能修改自己的角色。"))
    if errors:
        raise ValidationError(errors)

    changed = [name for name in EDITABLE_FIELDS if getattr(user, name) != new[name]]
    if not changed:
        return user
    with transaction.atomic():
        for name in changed:
            setattr(user, name, new[name])
        user.save(update_fields=changed)
        detail: dict[str, Any] = {"fields": changed}
        if "role" in changed:
            detail["role"] = user.role
        _audit(actor, Action.UPDATE, user, detail)
    return user


def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (停用) or reactivate an account. A deactivated user's open
    sessions stop working at their next request (the auth backend refuses
    inactive users)."""
    _check_actor(actor, target=user)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError(_("不能停用自己的账户。"))
    if user.is_active == active:
        return user
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        _audit(actor, Action.UPDATE, user, {"fields": ["is_active"], "op": "activate" if active else "deactivate"})
    return user


def user_reset_password(*, actor: User | None, user: User, password: str) -> User:
    """Set a new password chosen by the administrator (policy-checked). The
    user's existing sessions end, because the session hash changes."""
    _check_actor(actor, target=user)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        _audit(actor, Action.UPDATE, user, {"fields": ["password"], "op": "reset_password"})
    return user


def user_change_own_password(*, user: User, password: str) -> User:
    """The signed-in user's own change; the caller has checked the old password."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        _audit(user, Action.PASSWORD_CHANGE, user, {})
    return user


def user_unlock(*, actor: User | None, user: User) -> int:
    """Clear the login-failure lockouts (axes, every address) and the
    per-account guard (pims.accounts.lockout) for the username; returns how
    many attempt records were removed."""
    _check_actor(actor, target=user)
    with transaction.atomic():
        removed = int(axes.utils.reset(username=user.username))
        failures = lockout.forget_failures(user.username)
        _audit(actor, Action.UPDATE, user, {"op": "unlock", "attempts": removed, "failures": failures})
    return removed


def user_reset_2fa(*, actor: User | None, user: User) -> int:
    """Remove all OTP devices; a two-factor role sets up a new one at its next
    sign-in. Returns the number of devices removed."""
    _check_actor(actor, target=user)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        _audit(actor, Action.UPDATE, user, {"op": "reset_2fa", "devices": len(devices)})
    return len(devices)
