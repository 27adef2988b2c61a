import base64
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.audit.models import Action
from pims.audit.services import audit_record, audit_request, client_ip
from pims.lib.http import safe_next
from pims.regions.models import Level, Region
from pims.regions.selectors import region_list_visible_to

from . import devices, selectors, services
from .forms import LoginForm, OTPTokenForm, PasswordResetForm, UserCreateForm, UserEditForm, UserFilterForm
from .models import User
from .privilege import grant_problem, may_manage
from .requests import AuthedRequest
from .roles import Cap, has_capability

# --- sign-in, 2FA, password -------------------------------------------------------


def _refusals() -> dict[str, str]:
    """专人专机's refusals by reason (pims.accounts.devices.binding_problem)."""
    return {"network": _("此账户不允许从当前网络登录，请联系系统管理员。"), "device": str(devices.REFUSED)}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        notices = {
            **_refusals(),
            "expired": _("登录已超过 %(hours)s 小时，请重新登录。")
            % {"hours": settings.SESSION_ABSOLUTE_SECONDS // 3600},
        }
        context["notice"] = notices.get(self.request.GET.get("reason", ""))
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        # 专人专机: refuse the sign-in itself from a network the account is not
        # allowed on, rather than letting it in for one request.
        # The device (issue 14.12) is a second condition beside the network.
        user = form.get_user()
        ip = client_ip(self.request)
        problem = devices.binding_problem(self.request, user, ip)
        if problem is not None:
            audit_record(
                actor=user,
                action=Action.ACCESS_DENIED,
                obj=user,
                region_code=user.region.code,
                ip=ip,
                detail={"reason": problem},
            )
            form.add_error(None, _refusals()[problem])
            return self.form_invalid(form)
        devices.device_signed_in(self.request, user)
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:dashboard")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        # The form checked the old password and the policy; the service writes
        # the password, its timestamp and the audit row together.
        user = cast(User, self.request.user)  # behind login_required
        services.user_change_own_password(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("密码已修改。"))
        return HttpResponseRedirect(self.get_success_url())


def _qr_svg(url: str) -> str:
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = BytesIO()
    img.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: AuthedRequest) -> HttpResponse:
    """Verify a TOTP token, or set up the first device (shown as a QR code)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="default", confirmed=False
        )
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # verify_token is throttled by django-otp (exponential back-off).
        if device.verify_token(form.cleaned_data["token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_request(request, action=Action.OTP_SETUP, obj=user, region_code=user.region.code)
            otp_login(request, device)
            return redirect(safe_next(request, "web:dashboard"))
        audit_request(
            request, action=Action.LOGIN_FAILED, obj=user, region_code=user.region.code, detail={"reason": "otp"}
        )
        form.add_error("token", _("验证码不正确或已过期，请重新输入。"))
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


# --- user management (system administrator) -------------------------------------------


def manage_users_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and holding Cap.MANAGE_USERS; everyone else gets 404 so the
    pages' existence does not leak."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_capability(request.user, Cap.MANAGE_USERS):
            raise Http404
        return view(request, *args, **kwargs)  # the services' NotPermitted answers 404 too

    return wrapper


def _region_datalist(actor: User) -> QuerySet[Region]:
    # A hint list for the region-code input; villages are typed in full.
    return selectors.assignable_regions_for(user=actor).exclude(level=Level.VILLAGE)[:500]


@manage_users_required
def user_list(request: AuthedRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    users = selectors.user_list_visible_to(user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            users = users.filter(username__icontains=data["q"])
        if data["role"]:
            users = users.filter(role=data["role"])
        if data["active"]:
            users = users.filter(is_active=data["active"] == "1")
        if data["region"]:
            region = region_list_visible_to(user=request.user).filter(code=data["region"]).first()
            if region is None:
                form.add_error("region", _("区划代码不存在或不在您的管辖范围内。"))
                users = users.none()
            else:
                users = users.filter(region__code__startswith=region.prefix)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/user_list.html", {"form": form, "page": page, "query": query.urlencode()})


@manage_users_required
@require_http_methods(["GET", "POST"])
def user_create(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                region=data["region"],
                full_name=data["full_name"],
                phone=data["phone"],
                allowed_networks=data["allowed_networks"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if user.is_active:
                messages.success(request, _("已创建用户 %(username)s。") % {"username": user.username})
            else:
                messages.success(
                    request,
                    _("已创建用户 %(username)s，待另一位管理员批准后启用。") % {"username": user.username},
                )
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "creating": True, "region_hints": _region_datalist(request.user)},
    )


@manage_users_required
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk)
    pending = selectors.approval_pending_for(target)
    context = {
        "target": target,
        "locked": selectors.user_is_locked_out(target),
        "has_2fa": selectors.user_has_2fa(target),
        "may_manage": may_manage(request.user, target),
        "may_enrol": has_capability(request.user, Cap.ENROL_DEVICES) and may_manage(request.user, target),
        "devices": target.devices.select_related("enrolled_by", "revoked_by"),
        "pending": pending,
        "may_approve": pending is not None
        and pending.requested_by_id != request.user.pk
        and may_manage(request.user, target)
        and grant_problem(request.user, role=pending.role, region=pending.region) is None,
    }
    return render(request, "accounts/user_detail.html", context)


@manage_users_required
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk, for_write=True)
    initial = {name: getattr(target, name) for name in services.EDITABLE_FIELDS}
    form = UserEditForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=target, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("用户信息已保存。"))
            return redirect("accounts:user_detail", pk=target.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "target": target, "creating": False, "region_hints": _region_datalist(request.user)},
    )


@manage_users_required
@require_http_methods(["GET", "POST"])
def user_reset_password(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk, for_write=True)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=target, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("密码已重置，请通过安全渠道告知用户。"))
            return redirect("accounts:user_detail", pk=target.pk)
    return render(request, "accounts/user_password.html", {"form": form, "target": target})


@manage_users_required
@require_POST
def user_set_active(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk)
    active = request.POST.get("active") == "1"
    try:
        target = services.user_set_active(actor=request.user, user=target, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not active:
            messages.success(request, _("账户已停用。"))
        elif target.is_active:
            messages.success(request, _("账户已启用。"))
        else:
            messages.success(request, _("已提交启用申请，待另一位管理员批准后生效。"))
    return redirect("accounts:user_detail", pk=target.pk)


@manage_users_required
def approval_list(request: AuthedRequest) -> HttpResponse:
    """Pending four-eyes requests in the user's jurisdiction."""
    approvals = list(selectors.approval_list_visible_to(user=request.user)[:200])
    rows = [
        {
            "approval": approval,
            "may_approve": approval.requested_by_id != request.user.pk
            and may_manage(request.user, approval.user)
            and grant_problem(request.user, role=approval.role, region=approval.region) is None,
        }
        for approval in approvals
    ]
    return render(request, "accounts/approval_list.html", {"rows": rows})


@manage_users_required
@require_POST
def approval_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    approval = selectors.access_approval(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.user_approval_decide(actor=request.user, approval=approval, approve=approve)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已批准，变更已生效。") if approve else _("已驳回申请。"))
    return redirect("accounts:user_detail", pk=approval.user_id)


@manage_users_required
@require_POST
def user_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk, for_write=True)
    services.user_unlock(actor=request.user, user=target)
    messages.success(request, _("账户已解锁。"))
    return redirect("accounts:user_detail", pk=target.pk)


@manage_users_required
@require_POST
def user_reset_2fa(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.access_user(request.user, pk, for_write=True)
    services.user_reset_2fa(actor=request.user, user=target)
    messages.success(request, _("双因素认证已重置，用户下次登录时需重新绑定。"))
    return redirect("accounts:user_detail", pk=target.pk)


# --- 专人专机: dedicated devices (issue 14.12) -------------------------------------


def _device_target(request: AuthedRequest, pk: int) -> User:
    """The account whose devices the county administrator manages (404 without Cap.ENROL_DEVICES)."""
    if not has_capability(request.user, Cap.ENROL_DEVICES):
        raise Http404
    return selectors.access_user(request.user, pk, for_write=True)


@manage_users_required
@require_POST
def device_enrol(request: AuthedRequest, pk: int) -> HttpResponse:
    """Enrol this browser as the account's dedicated device: the answer sets
    its credential cookie (the administrator stands at that machine)."""
    target = _device_target(request, pk)
    _device, credential = devices.device_enrol(
        actor=request.user, user=target, label=request.POST.get("label", ""), ip=client_ip(request)
    )
    messages.success(request, _("本浏览器已登记为此账户的专用设备。"))
    response = redirect("accounts:user_detail", pk=target.pk)
    devices.set_cookie(response, target, credential)
    return response


@manage_users_required
@require_POST
def device_revoke(request: AuthedRequest, pk: int, device_pk: int) -> HttpResponse:
    target = _device_target(request, pk)
    device = target.devices.filter(pk=device_pk).first()
    if device is None:
        raise Http404
    devices.device_revoke(actor=request.user, device=device, ip=client_ip(request))
    messages.success(request, _("专用设备已撤销，该设备不能再用于登录此账户。"))
    return redirect("accounts:user_detail", pk=target.pk)


@manage_users_required
@require_POST
def device_binding(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _device_target(request, pk)
    on = request.POST.get("on") == "1"
    devices.device_binding_set(actor=request.user, user=target, on=on, ip=client_ip(request))
    messages.success(request, _("已要求此账户在专用设备上登录。") if on else _("已取消专用设备限制。"))
    return redirect("accounts:user_detail", pk=target.pk)
