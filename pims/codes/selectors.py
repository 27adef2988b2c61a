from django.db.models import QuerySet
from django.http import Http404

from .models import Code, CodeTable, CodeVersion


def code_table_list() -> QuerySet[CodeTable]:
    return CodeTable.objects.all()


def code_table_get(key: str) -> CodeTable:
    try:
        return CodeTable.objects.get(key=key)
    except CodeTable.DoesNotExist:
        raise Http404 from None


def current_version(table_key: str) -> CodeVersion | None:
    return CodeVersion.objects.filter(table__key=table_key, is_current=True).first()


def current_codes(table_key: str) -> QuerySet[Code]:
    return Code.objects.filter(version__table__key=table_key, version__is_current=True).order_by("sort", "code")


def code_map(table_key: str) -> dict[str, str]:
    """code -> name for the current version of a table."""
    return dict(current_codes(table_key).values_list("code", "name"))
