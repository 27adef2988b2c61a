from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import QuerySet


class Severity(StrEnum):
    ERROR = "error"  # blocks saving
    WARNING = "warning"  # saving needs the user's confirmation


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # short Chinese name of the rule
    severity: Severity
    field: str  # the form field the message points at ("" = whole household)
    message: str  # Chinese message; may use {name}, {row} and query extras
    # Register rules: given a Person queryset (already restricted to the
    # households under check), return the violating persons, optionally
    # annotated with extras used in the message. Household-level rules get a
    # Household queryset instead (`level="household"`).
    query: Callable[[QuerySet], QuerySet] | None = None
    level: str = "person"
    category: str = "register"
    tags: tuple[str, ...] = field(default=())


@dataclass
class Violation:
    rule_id: str
    severity: Severity
    field: str
    message: str
    row: int | None = None  # member row on the form, None for household fields
    household_id: int | None = None
    person_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "rule": self.rule_id,
            "severity": str(self.severity),
            "field": self.field,
            "row": self.row,
            "message": self.message,
        }


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.id in RULES:
        raise ValueError(f"duplicate rule id {rule.id}")
    RULES[rule.id] = rule
    return rule


def rule_by_id(rule_id: str) -> Rule:
    return RULES[rule_id]


def violation(rule_id: str, *, row: int | None = None, field: str | None = None, **fmt) -> Violation:
    rule = RULES[rule_id]
    return Violation(
        rule_id=rule.id,
        severity=rule.severity,
        field=field if field is not None else rule.field,
        message=f"[{rule.id}] " + rule.message.format(row=row, **fmt),
        row=row,
    )
