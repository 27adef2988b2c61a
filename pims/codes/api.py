from ninja import Router, Schema

from .selectors import code_lookup, code_table_get, code_table_list_with_current, current_codes

router = Router(tags=["codes"])


class TableOut(Schema):
    key: str
    name: str
    standard: str
    source: str
    current_version: int | None
    code_count: int

    @staticmethod
    def resolve_current_version(obj):
        return obj.current_number


class CodeOut(Schema):
    code: str
    name: str
    name_en: str
    initials: str


@router.get("/", response=list[TableOut])
def code_tables(request):
    return list(code_table_list_with_current())


@router.get("/{key}", response=list[CodeOut])
def code_table_codes(request, key: str):
    code_table_get(key)
    return list(current_codes(key))


@router.get("/{key}/lookup", response=list[CodeOut])
def code_table_lookup(request, key: str, q: str = ""):
    """Codes matching `q` as a code, an exact name or pinyin initials."""
    code_table_get(key)
    return code_lookup(key, q)
