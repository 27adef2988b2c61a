from django import template

register = template.Library()


@register.filter
def pct(value, digits=1):
    """0.8571 → "85.7%"; None (no denominator) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def num(value, digits=2):
    return "—" if value is None else f"{value:.{int(digits)}f}"
