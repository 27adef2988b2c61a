"""The search conditions, validated once for the page, the export, saved
queries and the API.

`SearchForm.criteria()` turns the typed values into a JSON-ready dict — the
only thing the selector, saved queries and the export audit ever see. A typed
citizen ID number becomes its blind index there and then: the number itself
goes no further than this form.
"""

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from pims.codes.selectors import current_codes
from pims.lib.citizen_id import CitizenIdError, normalise, parse
from pims.lib.names import has_han, pinyin_query
from pims.params.policy import childbearing_ages
from pims.regions.scope import code_in_scope
from pims.regions.selectors import region_list_visible_to
from pims.registry import reproductive
from pims.registry.models import PersonStatus, ResidenceStatus
from pims.registry.personal import citizen_id_index

from .selectors import MARRIED, NO_CONTRACEPTION

NAME_MODES = [
    ("auto", _("自动（汉字按前缀，字母按全拼或首字母）")),
    ("exact", _("姓名完全一致")),
    ("prefix", _("姓名开头")),
    ("pinyin", _("全拼")),
    ("initials", _("拼音首字母")),
]
REGION_BASES = [
    ("any", _("户籍地、居住地或责任地")),
    ("registered", _("户籍地")),
    ("residence", _("现居住地")),
    ("responsible", _("责任地")),
]
SORTS = [
    ("name", _("姓名")),
    ("-name", _("姓名（倒序）")),
    ("birth_date", _("出生日期（由早到晚）")),
    ("-birth_date", _("出生日期（由晚到早）")),
    ("region", _("户籍地区划")),
    ("-region", _("户籍地区划（倒序）")),
]

# Criteria keys that carry something typed about a person (kept out of the
# export audit, which records only that they were used).
PERSONAL_KEYS = ("id_index", "name")

# Every key criteria() can produce, in the form's order.
CRITERIA_KEYS = (
    "id_index",
    "name",
    "name_mode",
    "sex",
    "birth_from",
    "birth_to",
    "age_min",
    "age_max",
    "region",
    "region_basis",
    "status",
    "marital",
    "residence_status",
    "flowing",
    "childbearing",
    "contraception",
    "household_size_min",
    "household_size_max",
    "sort",
)


def _choices_with_blank(choices):
    return [("", _("不限")), *choices]


class SearchForm(forms.Form):
    citizen_id = forms.CharField(label=_("公民身份号码"), required=False, max_length=30, strip=True)
    name = forms.CharField(label=_("姓名或拼音"), required=False, max_length=50, strip=True)
    name_mode = forms.ChoiceField(label=_("姓名匹配方式"), choices=NAME_MODES, required=False)
    sex = forms.ChoiceField(
        label=_("性别"), choices=_choices_with_blank([("1", _("男")), ("2", _("女"))]), required=False
    )
    birth_from = forms.DateField(label=_("出生日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    birth_to = forms.DateField(label=_("出生日期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    age_min = forms.IntegerField(label=_("年龄（周岁）自"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("年龄（周岁）至"), required=False, min_value=0, max_value=150)
    region = forms.CharField(
        label=_("区划代码"),
        required=False,
        max_length=12,
        strip=True,
        widget=forms.TextInput(attrs={"list": "region-codes", "inputmode": "numeric"}),
    )
    region_basis = forms.ChoiceField(label=_("区划口径"), choices=REGION_BASES, required=False)
    status = forms.ChoiceField(label=_("人员状态"), choices=_choices_with_blank(PersonStatus.choices), required=False)
    marital = forms.ChoiceField(label=_("婚姻状况"), required=False)
    residence_status = forms.ChoiceField(
        label=_("人户状态"), choices=_choices_with_blank(ResidenceStatus.choices), required=False
    )
    flowing = forms.BooleanField(label=_("流动人口（人在户不在或户在人不在）"), required=False)
    childbearing = forms.BooleanField(label=_("育龄妇女"), required=False)
    contraception = forms.ChoiceField(label=_("节育措施"), required=False)
    household_size_min = forms.IntegerField(label=_("户内人数自"), required=False, min_value=1, max_value=99)
    household_size_max = forms.IntegerField(label=_("户内人数至"), required=False, min_value=1, max_value=99)
    sort = forms.ChoiceField(label=_("排序"), choices=SORTS, required=False)

    def __init__(self, *args, user, allow_citizen_id: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        low, high = childbearing_ages()
        self.fields["childbearing"].label = _("育龄妇女（%(low)s–%(high)s 周岁女性）") % {"low": low, "high": high}
        self.allow_citizen_id = allow_citizen_id
        marital = [(c.code, c.name) for c in current_codes("marital_status")]
        cast(forms.ChoiceField, self.fields["marital"]).choices = _choices_with_blank(
            [(MARRIED, _("已婚（含初婚、再婚、复婚）")), *marital]
        )
        methods = [(c.code, c.name) for c in current_codes("contraceptive_method")]
        cast(forms.ChoiceField, self.fields["contraception"]).choices = _choices_with_blank(
            [(NO_CONTRACEPTION, _("未采取节育措施（无有效措施）")), *methods]
        )

    def clean_contraception(self):
        """Searching by contraceptive method reads reproductive data (issue 14.7)."""
        value = self.cleaned_data.get("contraception") or ""
        if value and not reproductive.can_view(self.user):
            raise forms.ValidationError(_("按节育措施查询须有“查看生育健康信息”的权限"))
        return value

    def clean_citizen_id(self):
        raw = self.cleaned_data.get("citizen_id") or ""
        if not raw:
            return ""
        if not self.allow_citizen_id:
            # A number in a URL ends up in access logs: GET never takes one.
            raise forms.ValidationError(_("请使用“按公民身份号码查询”表单提交身份号码"))
        try:
            return parse(raw).number
        except CitizenIdError as exc:
            if exc.code in {"region", "birth_date"}:
                # Still a well-formed number: let it be looked up as typed.
                return normalise(raw)
            raise forms.ValidationError(str(exc)) from None

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").ljust(12, "0") if self.cleaned_data.get("region") else ""
        if code and not (
            code_in_scope(self.user, code) and region_list_visible_to(user=self.user).filter(code=code).exists()
        ):
            # The same message for a missing code and one outside the scope.
            raise forms.ValidationError(_("区划代码不存在或不在您的辖区内"))
        return code

    def clean_name(self):
        name = self.cleaned_data.get("name") or ""
        if name and not has_han(name) and not pinyin_query(name):
            raise forms.ValidationError(_("请输入汉字姓名或拼音"))
        return name

    def clean(self):
        data = super().clean()
        for low, high, label in (
            ("birth_from", "birth_to", _("出生日期")),
            ("age_min", "age_max", _("年龄")),
            ("household_size_min", "household_size_max", _("户内人数")),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, _("%(label)s的上限不能小于下限") % {"label": label})
        return data

    def criteria(self) -> dict:
        """The cleaned conditions as a JSON-ready dict, blanks left out."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data.get("citizen_id"):
            out["id_index"] = citizen_id_index(data["citizen_id"])
        for key in CRITERIA_KEYS:
            if key == "id_index":
                continue
            value = data.get(key)
            if value in (None, "", False):
                continue
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
        if out.get("name_mode") == "auto":
            del out["name_mode"]
        if out.get("region_basis") == "any":
            del out["region_basis"]
        if out.get("sort") == "name":
            del out["sort"]
        return out

    def has_conditions(self) -> bool:
        return any(k not in ("sort", "name_mode", "region_basis") for k in self.criteria())


def criteria_querydict(criteria: dict) -> dict:
    """Criteria as form data (for a query string or re-validation); the blind
    index has no form field and never goes into a URL."""
    out = {}
    for key, value in criteria.items():
        if key == "id_index":
            continue
        out[key] = "1" if value is True else str(value)
    return out


def audit_criteria(criteria: dict) -> dict:
    """Criteria for the audit log: personal values replaced by a marker."""
    return {k: ("***" if k in PERSONAL_KEYS else v) for k, v in criteria.items()}
