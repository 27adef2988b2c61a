from django import forms
from django.utils.translation import gettext_lazy as _

from pims.integration.models import ImportJob
from pims.regions.models import Level
from pims.regions.selectors import region_list_visible_to


class ImportForm(forms.Form):
    """Only validates the shape; the file itself is judged by the import."""

    file = forms.FileField(label=_("公安户籍数据文件（CSV 或 XLSX）"))
    mapping = forms.FileField(label=_("列映射文件（JSON，可选）"), required=False)
    village_default = forms.ChoiceField(label=_("默认村（文件没有村级区划代码列时）"), required=False)
    family_mode = forms.ChoiceField(
        label=_("一户中有成员的行被退回时"),
        choices=ImportJob.FamilyMode.choices,
        initial=ImportJob.FamilyMode.MEMBERS,
        widget=forms.RadioSelect,
        required=False,  # not chosen: the default, 载入有效成员
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = region_list_visible_to(user=user).filter(level=Level.VILLAGE, valid_to__isnull=True)
        self.fields["village_default"].choices = [("", _("（按文件中的村级区划代码）"))] + [
            (v.code, f"{v.name}（{v.code}）") for v in villages.order_by("code")
        ]


class DepartmentImportForm(forms.Form):
    file = forms.FileField(label=_("部门数据文件（CSV 或 XLSX）"))
    mapping = forms.FileField(label=_("列映射文件（JSON，可选）"), required=False)
