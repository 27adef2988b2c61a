"""Forms of the documents: they only validate input; the rules are in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CancelReason, RegistrationMethod


class FindPersonForm(forms.Form):
    citizen_id = forms.CharField(label=_("夫或妻的公民身份号码"), max_length=18, min_length=15)


class RegistrationForm(forms.Form):
    due_date = forms.DateField(
        label=_("预产期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("孩子未出生时填写"),
    )
    child = forms.TypedChoiceField(
        label=_("已出生的子女（补登）"), required=False, coerce=int, empty_value=None, help_text=_("孩子已出生时选择")
    )
    method = forms.ChoiceField(label=_("登记方式"), choices=RegistrationMethod.choices)
    husband_employer = forms.CharField(label=_("男方工作单位"), max_length=100, required=False)
    wife_employer = forms.CharField(label=_("女方工作单位"), max_length=100, required=False)
    commitment = forms.BooleanField(
        label=_("申请人已签署承诺书"),
        required=False,
        help_text=_("本人承诺所提供的信息真实、准确，如有虚假，愿承担相应责任。"),
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [("", "—")] + [(c.pk, f"{c.name}（{c.birth_date:%Y-%m-%d}）") for c in children]


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("注销原因"), choices=[("", "—"), *CancelReason.choices])
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
