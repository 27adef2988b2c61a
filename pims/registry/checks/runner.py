"""Running register rules: one household at entry, or a region in batch
(`batch.check_run_start` uses `scoped_rule_queryset` with a region prefix)."""

from string import Formatter

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from pims.codes.names import code_label

from ..models import Household, Person
from .base import RULES, Rule, Violation

# Columns a message may name; encrypted values and their keyed hashes never.
SECRET_COLUMNS = {"id_cipher", "id_index", "phone_cipher", "phone_index"}


def register_rules() -> list[Rule]:
    return [r for r in RULES.values() if r.query is not None]


def _base_queryset(rule: Rule, household_ids: list[int] | RawSQL) -> QuerySet:
    if rule.level == "household":
        return Household.objects.filter(pk__in=household_ids)
    return Person.objects.filter(household_id__in=household_ids)


def region_base_queryset(rule: Rule, prefix: str) -> QuerySet:
    """The rows a batch run checks: active households under a code prefix
    and their members."""
    if rule.level == "household":
        return Household.objects.filter(region_code__startswith=prefix, status=Household.Status.ACTIVE)
    return Person.objects.filter(household__region_code__startswith=prefix, household__status=Household.Status.ACTIVE)


def check_households(household_ids: list[int] | RawSQL) -> list[Violation]:
    """All register-rule violations within these households (entry-time use:
    one query per rule, whatever the number of members)."""
    out: list[Violation] = []
    for rule in register_rules():
        for hit in hit_values(rule, rule.violators(_base_queryset(rule, household_ids))):
            out.append(_violation(rule, hit))
    return out


# Person columns holding codes (the household form's code columns).
CODE_COLUMNS = {"sex", "ethnicity", "relationship", "marital_status", "education", "occupation", "hukou_type"}


def message_columns(rule: Rule, qs: QuerySet) -> list[str]:
    """Stored columns named in the rule's message (e.g. `{marital_status}`)
    that the query does not annotate itself."""
    names = {name for _, name, _, _ in Formatter().parse(rule.message) if name}
    concrete = {f.attname for f in qs.model._meta.concrete_fields} - SECRET_COLUMNS
    return sorted((names & concrete) - set(qs.query.annotations) - {"id", "row", "name", "number", "household_id"})


def hit_values(rule: Rule, qs: QuerySet):
    """Only the columns a message needs: never the encrypted personal fields."""
    extras = [*qs.query.annotations, *message_columns(rule, qs)]
    if rule.level == "household":
        return qs.values("id", "number", *extras)
    return qs.values("id", "household_id", "row", "name", *extras)


def _violation(rule: Rule, hit: dict) -> Violation:
    if rule.level == "household":
        household_id, person_id, row, name = hit["id"], None, None, ""
    else:
        household_id, person_id, row, name = hit["household_id"], hit["id"], hit.get("row"), hit.get("name", "")
    # A stored code is named as the code manual names it: 婚姻状况却为“已婚（20）”.
    fmt = {k: ("" if v is None else code_label(k, v) if k in CODE_COLUMNS else v) for k, v in hit.items()}
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
