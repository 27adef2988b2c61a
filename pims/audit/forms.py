from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("操作"), choices=[("", _("全部")), *Action.choices], required=False)
    object_type = forms.CharField(label=_("对象类型"), max_length=60, required=False)
    object_id = forms.CharField(label=_("对象编号"), max_length=64, required=False)
    region = forms.RegexField(
        label=_("区划代码"),
        regex=r"^\d{2,12}$",
        max_length=12,
        required=False,
        help_text=_("12 位代码（含下级）或代码前缀"),
        error_messages={"invalid": _("区划代码只能是 2 至 12 位数字")},
    )
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data
