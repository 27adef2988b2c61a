import csv
import io

from django import forms
from django.utils.translation import gettext_lazy as _

from .loader import CodeFileError, CodeRow, parse_code_text


class CodeTableEditForm(forms.Form):
    """The current codes as CSV text (header code,name_zh,name_en[,extra columns])."""

    text = forms.CharField(label=_("代码（CSV）"), widget=forms.Textarea(attrs={"rows": 24, "cols": 80}))
    note = forms.CharField(label=_("版本说明"), max_length=300)
    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean_text(self) -> list[CodeRow]:
        try:
            return parse_code_text(self.cleaned_data["text"], str(_("编辑内容")))
        except CodeFileError as exc:
            raise forms.ValidationError(str(exc)) from None


def rows_as_text(codes) -> str:
    """CSV text of a version's codes, with one column per extra attribute."""
    codes = list(codes)
    extra_keys = sorted({key for c in codes for key in c.extra})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name_zh", "name_en", *extra_keys])
    for c in codes:
        writer.writerow([c.code, c.name, c.name_en, *(c.extra.get(k, "") for k in extra_keys)])
    return out.getvalue()
