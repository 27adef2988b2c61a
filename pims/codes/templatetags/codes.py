"""{% load codes %}: names from the code manual instead of raw codes.

{{ p.marital_status|code_name:"marital_status" }}   → 已婚
{{ p.relationship|code_label:"relationship" }}      → 户主（02）
"""

from django import template

from pims.codes.names import code_label as _code_label
from pims.codes.names import code_name as _code_name

register = template.Library()


@register.filter
def code_name(code, table: str) -> str:
    return _code_name(table, code)


@register.filter
def code_label(code, table: str) -> str:
    return _code_label(table, code)
