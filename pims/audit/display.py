"""The audit log as a person reads it: Chinese labels for the detail's keys,
values written out (not Python dict text), the object named by its kind, and
the masking of an export (numbers that look like ID or phone numbers, the
tail of the IP address)."""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps

# Detail keys the services write (pims.*.services audit_record(detail=...)).
KEY_LABELS = {
    "transition": "步骤",
    "step": "步骤",
    "period": "月份",
    "reason": "原因",
    "what": "内容",
    "rows": "行数",
    "n": "数量",
    "members": "成员数",
    "comments": "意见条数",
    "events": "事件数",
    "persons": "人数",
    "households": "户数",
    "spells": "人数（户籍+常住）",
    "field": "项目",
    "fields": "项目",
    "before": "修改前",
    "after": "修改后",
    "old": "修改前",
    "new": "修改后",
    "values": "取值",
    "value": "取值",
    "file": "文件",
    "format": "格式",
    "report": "报表",
    "region": "区划",
    "kind": "口径",
    "state": "状态",
    "form_state": "采集表状态",
    "event_type": "事件类型",
    "source": "来源",
    "to": "改为",
    "table": "表",
    "tables": "表",
    "errors": "错误数",
    "warnings": "提示数",
    "rules": "规则数",
    "masked": "已遮蔽",
    "full_ids": "完整证件号码",
    "retention_days": "保留天数",
    "cutoff": "截止",
    "definitions": "参数定义",
    "missing_villages": "未报送的村",
    "override_reason": "缺报仍月结的原因",
    "key": "参数",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
    "role": "角色",
    "username": "用户名",
}
TRANSITIONS = {
    "submit": "提交",
    "return": "退回",
    "approve": "审核通过",
    "accept": "确认",
    "unapprove": "撤回审核",
    "unaccept": "撤回确认",
    "close": "月结",
    "reopen": "撤销月结",
    "withdraw": "撤回",
    "revise": "修改",
    "cancel": "作废",
}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        if set(value) <= {"code", "name"}:
            return str(value.get("name") or value.get("code") or "—")
        return "；".join(f"{KEY_LABELS.get(k, k)}：{_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value) or "—"
    return str(value)


def detail_lines(detail: dict | None) -> list[tuple[str, str]]:
    """(label, value) per item of an entry's detail, in the order written."""
    out = []
    for key, value in (detail or {}).items():
        shown = TRANSITIONS.get(value, value) if key in ("transition", "step") and isinstance(value, str) else value
        out.append((KEY_LABELS.get(key, key), _value(shown)))
    return out


def object_label(object_type: str) -> str:
    """ "registry.household" → "户" (the model's verbose name), else as stored."""
    if "." in object_type:
        try:
            return str(apps.get_model(object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            pass
    return object_type


_LONG_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{5,12}(\d{3}[\dXx]?)(?!\d)")


def mask_text(text: str) -> str:
    """Numbers of 11 or more digits (ID, phone) keep their first and last
    three characters; the rest is starred."""
    return _LONG_NUMBER.sub(
        lambda m: m.group(1) + "*" * (len(m.group(0)) - len(m.group(1)) - len(m.group(2))) + m.group(2), text
    )


def mask_ip(ip: str | None) -> str:
    if not ip:
        return ""
    if ":" in ip:
        return ip.rsplit(":", 2)[0] + ":*:*"
    parts = ip.split(".")
    return ".".join(parts[:2] + ["*", "*"]) if len(parts) == 4 else "*"
