"""Running register rules: one household at entry, or a region in batch."""

from django.db.models import QuerySet

from ..models import Household, Person
from .base import RULES, Rule, Violation


def register_rules() -> list[Rule]:
    return [r for r in RULES.values() if r.query is not None]


def _base_queryset(rule: Rule, household_ids) -> QuerySet:
    if rule.level == "household":
        return Household.objects.filter(pk__in=household_ids)
    return Person.objects.filter(household_id__in=household_ids)


def check_households(household_ids: list[int]) -> list[Violation]:
    """All register-rule violations within these households (entry-time use:
    one query per rule, whatever the number of members)."""
    out: list[Violation] = []
    for rule in register_rules():
        for hit in rule.query(_base_queryset(rule, household_ids)).values():
            out.append(_violation(rule, hit))
    return out


def _violation(rule: Rule, hit: dict) -> Violation:
    if rule.level == "household":
        household_id, person_id, row, name = hit["id"], None, None, ""
    else:
        household_id, person_id, row, name = hit["household_id"], hit["id"], hit.get("row"), hit.get("name", "")
    fmt = {k: v for k, v in hit.items()}
    fmt.update(row=row, name=name)
    return Violation(
        rule_id=rule.id,
        severity=rule.severity,
        field=rule.field,
        message=f"[{rule.id}] " + rule.message.format(**fmt),
        row=row,
        household_id=household_id,
        person_id=person_id,
    )
