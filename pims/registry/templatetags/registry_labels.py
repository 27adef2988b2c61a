"""{% load registry_labels %}: a form column's Chinese label for its field key.

{{ c.field|member_label }}   phone → 联系电话 (a key with no label comes back as given)
"""

from django import template

from pims.registry.checks.input_rules import HOUSEHOLD_LABELS, MEMBER_LABELS

register = template.Library()


@register.filter
def member_label(field: str) -> str:
    return MEMBER_LABELS.get(field) or HOUSEHOLD_LABELS.get(field) or field
