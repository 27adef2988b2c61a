from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ParameterValue


class AmendForm(forms.Form):
    """A new dated value; the service judges it against the parameter's type and range."""

    value = forms.CharField(label=_("新取值"), max_length=200)
    valid_from = forms.DateField(label=_("生效日期"), help_text=_("格式 YYYY-MM-DD"))
    valid_to = forms.DateField(label=_("失效日期"), required=False, help_text=_("含当日；不填为长期有效"))
    source = forms.CharField(
        label=_("依据来源"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("文件名称、文号、条款")
    )
    status = forms.ChoiceField(label=_("核实状态"), choices=ParameterValue.Status.choices)
    confirmed_by = forms.CharField(label=_("核实人"), max_length=100, required=False)
    note = forms.CharField(label=_("修订说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
