from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import code_table_get, code_table_list


@login_required
def table_list(request):
    return render(request, "codes/table_list.html", {"tables": code_table_list()})


@login_required
def table_detail(request, key: str):
    table = code_table_get(key)
    version = table.versions.filter(is_current=True).first()
    codes = version.codes.all() if version else []
    return render(request, "codes/table_detail.html", {"table": table, "version": version, "codes": codes})
