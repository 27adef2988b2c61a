from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import QuerySet

# A person-level message starts by naming the member's row on the form.
ROW = "第 {row} 行："


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
    tags: tuple[str, ...] = ()
    # Keys of the dated parameter table (pims/params) the rule's limits read.
    params: tuple[str, ...] = ()

    def violators(self, rows: QuerySet) -> QuerySet:
        """The rows (persons, or households for a household rule) breaking
        this register rule; an event-path rule has no query."""
        if self.query is None:
            raise TypeError(f"rule {self.id} has no register query")
        return self.query(rows)

    @property
    def text(self) -> str:
        """The message without the form row it starts with (``第 {row} 行：``):
        what every path says, wherever it names the record itself (an event's
        number and subject, an import's file line)."""
        return self.message.removeprefix(ROW)


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


class Finding(str):
    """A catalogue rule's message as text that keeps its rule id and field.

    The event path handles refusals as text (prefixed with the event, joined,
    shown); a Finding is that text, so the id survives to the API's problems
    (`rule`) and tests can assert `finding.rule_id`."""

    rule_id: str
    field: str
    severity: Severity

    def __new__(cls, text: str, *, rule_id: str, field: str = "", severity: Severity = Severity.ERROR):
        self = super().__new__(cls, text)
        self.rule_id, self.field, self.severity = rule_id, field, severity
        return self

    def prefixed(self, prefix: str) -> "Finding":
        return Finding(prefix + self, rule_id=self.rule_id, field=self.field, severity=self.severity)


def finding(rule_id: str, **fmt) -> Finding:
    """The rule's message (without the form row) for a record the caller
    names itself, e.g. an event: ``[R08] 张小明 出生时母亲年龄为 13 岁……``."""
    rule = RULES[rule_id]
    return Finding(f"[{rule.id}] " + rule.text.format(**fmt), rule_id=rule.id, field=rule.field, severity=rule.severity)


def with_prefix(message: str, prefix: str) -> str:
    """`prefix` + `message`, keeping a Finding's rule id."""
    return message.prefixed(prefix) if isinstance(message, Finding) else prefix + message
