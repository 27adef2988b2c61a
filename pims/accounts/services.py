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
from pims.lib import clock
from pims.lib.errors import Conflict, NotPermitted
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope

from . import lockout
from .models import AccountApproval, User
from .privilege import check_may_grant, check_may_manage
from .roles import ROLE_LEVEL, Cap, Role, has_capability, role_is_privileged, role_within

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
    """Create an account; returns the user. Two-factor roles set up their
    TOTP device on first sign-in. A privileged account (personal data or user
    management) created by a person stays inactive until a second person
    approves it (`user_approval_decide`)."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    _check_actor(actor, region=region)
    try:
        check_may_grant(actor, role=role, region=region)
    except ValidationError as exc:
        _merge(errors, exc, "role")

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
        four_eyes = actor is not None and role_is_privileged(role)
        user.is_active = not four_eyes
        user.set_password(password)
        user.save()
        fields = ["username", "password", "role", "region"]
        fields += [name for name in ("full_name", "phone", "allowed_networks") if getattr(user, name)]
        _audit(actor, Action.CREATE, user, {"fields": fields, "role": role, "pending_approval": four_eyes})
        if four_eyes:
            _approval_request(actor, user, AccountApproval.Kind.CREATE, role=role, region=region)
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
    grant themselves access to personal data). A change of role or region
    into a privileged role that widens the account's access is not applied:
    it waits for a second person's approval (the other fields are saved)."""
    _check_actor(actor, target=user, region=None if region is _UNSET else region)
    check_may_manage(actor, user)
    new_role = user.role if role is _UNSET else role
    new_region = user.region if region is _UNSET else region
    networks = user.allowed_networks if allowed_networks is _UNSET else allowed_networks
    errors: dict[str, list[str]] = {}
    try:
        check_may_grant(actor, role=new_role, region=new_region)
    except ValidationError as exc:
        _merge(errors, exc, "role")
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
    promote = (
        actor is not None
        and bool({"role", "region"} & set(changed))
        and role_is_privileged(new_role)
        and not _narrows(user, new_role, new_region)
    )
    if promote:
        if AccountApproval.objects.filter(user=user, state=AccountApproval.State.PENDING).exists():
            raise ValidationError({"role": _("此账户已有待批准的申请，请先处理。")})
        changed = [name for name in changed if name not in ("role", "region")]
    if not changed and not promote:
        return user
    with transaction.atomic():
        if changed:
            for name in changed:
                setattr(user, name, new[name])
            user.save(update_fields=changed)
            detail: dict[str, Any] = {"fields": changed}
            if "role" in changed:
                detail["role"] = user.role
            _audit(actor, Action.UPDATE, user, detail)
        if promote:
            _approval_request(actor, user, AccountApproval.Kind.PROMOTE, role=new_role, region=new_region)
    return user


def _narrows(user: User, role: str, region: Region) -> bool:
    """True when (role, region) gives no access the account lacks today."""
    return role_within(role, user.role) and region.code.startswith(user.region.prefix)


def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (停用) or reactivate an account. A deactivated user's open
    sessions stop working at their next request (the auth backend refuses
    inactive users). Deactivating is open to every user manager in scope;
    re-enabling follows the privilege rules, and a privileged account is only
    re-enabled when a second person approves (the request is returned as
    pending; the account stays inactive)."""
    _check_actor(actor, target=user)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError(_("不能停用自己的账户。"))
    if active:
        check_may_manage(actor, user)
    if user.is_active == active:
        return user
    if active and actor is not None and role_is_privileged(user.role):
        if AccountApproval.objects.filter(user=user, state=AccountApproval.State.PENDING).exists():
            raise ValidationError(_("此账户已有待批准的申请，请先处理。"))
        with transaction.atomic():
            _approval_request(actor, user, AccountApproval.Kind.REACTIVATE, role=user.role, region=user.region)
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
    check_may_manage(actor, user)
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
    check_may_manage(actor, user)
    with transaction.atomic():
        removed = int(axes.utils.reset(username=user.username))
        failures = lockout.forget_failures(user.username)
        _audit(actor, Action.UPDATE, user, {"op": "unlock", "attempts": removed, "failures": failures})
    return removed


def user_reset_2fa(*, actor: User | None, user: User) -> int:
    """Remove all OTP devices; a two-factor role sets up a new one at its next
    sign-in. Returns the number of devices removed."""
    _check_actor(actor, target=user)
    check_may_manage(actor, user)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        _audit(actor, Action.UPDATE, user, {"op": "reset_2fa", "devices": len(devices)})
    return len(devices)


# --- four-eyes approval of privileged accounts ------------------------------------


def _approval_request(actor: User | None, user: User, kind: str, *, role: str, region: Region) -> AccountApproval:
    approval = AccountApproval.objects.create(
        user=user, kind=kind, role=role, region=region, requested_by=actor, requested_at=clock.now()
    )
    _audit(
        actor,
        Action.UPDATE,
        user,
        {"op": "approval_requested", "kind": kind, "role": role, "region": region.code, "approval": approval.pk},
    )
    return approval


def user_approval_decide(*, actor: User, approval: AccountApproval, approve: bool) -> AccountApproval:
    """Approve or refuse a pending privileged change (four-eyes). The approver
    must be another person who could have made the change themselves; the
    requester may withdraw (refuse) their own request. Approval applies it:
    the account becomes active, or takes the requested role and region."""
    _check_actor(actor, target=approval.user)
    with transaction.atomic():
        approval = AccountApproval.objects.select_for_update().select_related("user", "region").get(pk=approval.pk)
        user = approval.user
        check_may_manage(actor, user)
        check_may_grant(actor, role=approval.role, region=approval.region)
        if approval.state != AccountApproval.State.PENDING:
            raise Conflict(_("此申请已处理。"))
        if approve and approval.requested_by_id == actor.pk:
            raise ValidationError(_("申请须由另一位管理员批准，不能批准自己提交的申请。"))
        approval.state = AccountApproval.State.APPROVED if approve else AccountApproval.State.REFUSED
        approval.decided_by = actor
        approval.decided_at = clock.now()
        approval.save(update_fields=["state", "decided_by", "decided_at"])
        fields: list[str] = []
        if approve:
            if approval.kind == AccountApproval.Kind.PROMOTE:
                user.role, user.region = approval.role, approval.region
                fields = ["role", "region"]
            else:
                user.is_active = True
                fields = ["is_active"]
            user.save(update_fields=fields)
        _audit(
            actor,
            Action.UPDATE,
            user,
            {
                "op": "approval_approved" if approve else "approval_refused",
                "kind": approval.kind,
                "approval": approval.pk,
                "requested_by": approval.requested_by.username if approval.requested_by else "",
                "fields": fields,
            },
        )
    return approval
