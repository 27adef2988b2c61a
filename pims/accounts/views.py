import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pims.audit.models import Action
from pims.audit.services import audit_request

from .forms import LoginForm, OTPTokenForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password_changed_at"])
        audit_request(self.request, action=Action.PASSWORD_CHANGE, obj=user, region_code=user.region.code)
        messages.success(self.request, _("密码已修改。"))
        return response


def _qr_svg(url: str) -> str:
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = BytesIO()
    img.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request):
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
        if device.verify_token(form.cleaned_data["token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_request(request, action=Action.OTP_SETUP, obj=user, region_code=user.region.code)
            otp_login(request, device)
            return redirect(request.GET.get("next") or "web:dashboard")
        form.add_error("token", _("验证码不正确或已过期，请重新输入。"))
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp.html", context)


@require_http_methods(["POST"])
def logout_view(request):
    from django.contrib.auth import logout

    logout(request)
    return redirect("accounts:login")
