from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pims.audit.models import Action
from pims.audit.services import audit_record, client_ip
from pims.regions.models import Region

from . import lockout
from .models import User
from .roles import Cap, Role, has_capability, role_reads_personal, role_within
from .selectors import assignable_regions_for


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。在同一地点连续失败 5 次后，该账户在此地点将被锁定 30 分钟。"),
        "inactive": _("此账户已停用。"),
        "guarded": _(
            "该账户近期在多处登录失败次数过多，暂时只能从曾经成功登录过的地点登录。请稍后再试，或联系管理员解锁。"
        ),
    }

    def clean(self) -> dict[str, Any]:
        # The guard answers before the password is checked (pims.accounts.lockout).
        username = self.cleaned_data.get("username")
        if username and lockout.guarded(username, client_ip(self.request)):
            known = User.objects.filter(username=username).first()
            audit_record(
                actor=known,
                username=username[:150],
                action=Action.LOCKOUT,
                obj=known,
                ip=client_ip(self.request),
                detail={"reason": "account_failures"},
            )
            raise ValidationError(self.error_messages["guarded"], code="guarded")
        return super().clean()


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态验证码"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


# --- user management ------------------------------------------------------------


class RegionCodeField(forms.CharField):
    """A 12-digit region code typed by the administrator, resolved against the
    regions they may assign (set `queryset` before validation)."""

    default_error_messages = {"invalid_choice": _("区划代码不存在或不在您的管辖范围内。")}

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"list": "region-codes", "inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(**kwargs)
        self.queryset: QuerySet[Region] | None = None

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, "code", value)

    def clean(self, value: Any) -> Region | None:
        code = super().clean(value)
        if not code:
            return None
        region = self.queryset.filter(code=code).first() if self.queryset is not None else None
        if region is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return region


class _ActorForm(forms.Form):
    """A form whose region field is limited to the acting administrator's subtree."""

    def __init__(self, *args: Any, actor: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.regions = assignable_regions_for(user=actor)
        for field in self.fields.values():
            if isinstance(field, RegionCodeField):
                field.queryset = self.regions
        role = self.fields.get("role")
        if isinstance(role, forms.ChoiceField):
            # Only the roles the actor may give (pims.accounts.privilege); the
            # service still decides, with the region.
            role.choices = [
                (value, label)
                for value, label in Role.choices
                if role_within(value, actor.role)
                and (not role_reads_personal(value) or has_capability(actor, Cap.GRANT_PERSONAL))
            ]

    def add_service_errors(self, exc: ValidationError) -> None:
        """Attach a service's ValidationError to the matching fields."""
        if hasattr(exc, "error_dict"):
            for key, errors in exc.error_dict.items():
                self.add_error(key if key in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class UserAccountFields(_ActorForm):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region = RegionCodeField(
        label=_("所属区划代码"), help_text=_("12 位统计用区划代码；角色须与区划级别相符（如村信息员对应村/社区）。")
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    allowed_networks = forms.CharField(
        label=_("允许登录的网络"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个 IP 地址或网段（CIDR），如 10.1.0.0/16；留空表示不限制。"),
    )


class _NewPasswordFields(forms.Form):
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 10 位，不能与用户名相似，不能是常见密码或纯数字。"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_password2(self) -> str | None:
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise ValidationError(_("两次输入的密码不一致。"))
        return p2


class UserCreateForm(UserAccountFields, _NewPasswordFields):
    username = forms.CharField(label=_("用户名"), max_length=150)
    field_order = ["username", "password1", "password2", "role", "region", "full_name", "phone", "allowed_networks"]

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "password" in exc.error_dict:
            exc.error_dict["password1"] = exc.error_dict.pop("password")
        super().add_service_errors(exc)


class UserEditForm(UserAccountFields):
    pass


class PasswordResetForm(_NewPasswordFields):
    def add_service_errors(self, exc: ValidationError) -> None:
        errors = exc.error_dict.get("password", []) if hasattr(exc, "error_dict") else [exc]
        self.add_error("password1", errors)


class UserFilterForm(forms.Form):
    ACTIVE_CHOICES = [("", _("全部")), ("1", _("启用")), ("0", _("停用"))]

    q = forms.CharField(label=_("用户名"), required=False, max_length=150)
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("全部")), *Role.choices], required=False)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE_CHOICES, required=False)
