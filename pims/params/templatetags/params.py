"""`{% param_shown "key" %}`: a parameter's value in force today with its unit,
marked 待核实 when unverified — for any screen that states a policy value."""

from django import template

from pims.params.selectors import param_entry

register = template.Library()


@register.simple_tag
def param_shown(key: str, on=None) -> str:
    entry = param_entry(key, on)
    return entry.shown if entry is not None else "—"
