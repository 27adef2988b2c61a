from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pims.accounts.roles import Cap, has_capability

from .forms import CodeTableEditForm, rows_as_text
from .selectors import code_table_get, code_table_list_with_current, code_version_get, code_versions
from .services import StaleVersion, code_table_new_version


@login_required
def table_list(request):
    return render(request, "codes/table_list.html", {"tables": code_table_list_with_current()})


@login_required
def table_detail(request, key: str):
    table = code_table_get(key)
    number = request.GET.get("v")
    version = code_version_get(table, int(number) if number and number.isdigit() else None)
    context = {
        "table": table,
        "version": version,
        "codes": version.codes.all() if version else [],
        "versions": code_versions(table),
        "can_edit": has_capability(request.user, Cap.EDIT_CODES),
    }
    return render(request, "codes/table_detail.html", context)


@login_required
def table_edit(request, key: str):
    # 404, not 403, for everyone else: the editor's existence is not advertised.
    if not has_capability(request.user, Cap.EDIT_CODES):
        raise Http404
    table = code_table_get(key)
    current = code_version_get(table, None)
    base = current.number if current else 0
    text = rows_as_text(current.codes.all() if current else [])
    form = CodeTableEditForm(request.POST or None, initial={"text": text, "base_number": base})
    if request.method == "POST" and form.is_valid():
        try:
            version = code_table_new_version(
                actor=request.user,
                table=table,
                rows=form.cleaned_data["text"],
                note=form.cleaned_data["note"],
                source_file=_("在线编辑"),
                base_number=form.cleaned_data["base_number"],
            )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
        else:
            if version is None:
                messages.info(request, _("内容与当前版本相同，未创建新版本。"))
            else:
                messages.success(request, _("已保存为第 %(n)s 版。") % {"n": version.number})
            return redirect("codes:table_detail", key=table.key)
    return render(request, "codes/table_edit.html", {"table": table, "version": current, "form": form})
