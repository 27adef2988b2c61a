"""Typed values of parameters: parse the stored (or typed) text, and back.

A value is stored as canonical text so that the table reads the same on
SQLite and PostgreSQL and a history row shows exactly what was entered."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from pims.lib.errors import Invalid

from .models import Kind

TRUE, FALSE = ("true", "是", "1", "yes"), ("false", "否", "0", "no")


class BadValue(Invalid, ValueError):
    """The text is not a value of the parameter's kind (message in Chinese)."""


def parse(kind: str, raw) -> object:
    """The typed value of `raw` (text, or an already typed value from the seed file)."""
    text = str(raw).strip() if not isinstance(raw, bool) else ("true" if raw else "false")
    if kind == Kind.INT:
        if isinstance(raw, float) or not text.lstrip("-").isdigit() or not text.isascii():
            raise BadValue(f"“{text}”不是整数")
        return int(text)
    if kind == Kind.DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BadValue(f"“{text}”不是数字") from None
        if not number.is_finite():
            raise BadValue(f"“{text}”不是数字")
        return number
    if kind == Kind.DATE:
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise BadValue(f"“{text}”不是有效日期（格式 YYYY-MM-DD）") from None
    if kind == Kind.BOOL:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise BadValue(f"“{text}”不是“是”或“否”")
    if kind == Kind.TEXT:
        if not text:
            raise BadValue("取值不能为空")
        return text
    raise BadValue(f"未知的参数类型“{kind}”")


def canonical(kind: str, value) -> str:
    """The stored text of a typed value."""
    if kind == Kind.BOOL:
        return "true" if value else "false"
    if kind == Kind.DATE:
        return value.isoformat()
    return str(value)


def shown(kind: str, value) -> str:
    """The value as a screen shows it."""
    if kind == Kind.BOOL:
        return "是" if value else "否"
    return canonical(kind, value)
