from ninja import Router, Schema

from .selectors import code_table_get, current_codes

router = Router(tags=["codes"])


class CodeOut(Schema):
    code: str
    name: str
    name_en: str
    initials: str


@router.get("/{key}", response=list[CodeOut])
def code_table_codes(request, key: str):
    code_table_get(key)
    return list(current_codes(key))
