"""Register rules: set-based queries over stored rows.

Each `query` receives a Person (or Household) queryset already limited to the
households under check and returns the violating rows, annotated with the
values its message needs.
"""

from django.db.models import Count, F, Q

from .base import Rule, Severity, register
from .expressions import age_at

E, W = Severity.ERROR, Severity.WARNING

HEAD_CODES = ("01", "02")


def _mother_age(qs):
    return qs.filter(birth__mother__isnull=False).annotate(
        mother_age=age_at("birth__mother__birth_date", "birth_date")
    )


register(Rule(
    "R08", "生育时母亲年龄（错误）", E, "mother_row",
    "第 {row} 行：{name} 出生时母亲年龄为 {mother_age} 岁，超出 12–60 岁的合理范围",
    query=lambda qs: _mother_age(qs).filter(Q(mother_age__lt=12) | Q(mother_age__gt=60)),
))
register(Rule(
    "R09", "生育时母亲年龄（提示）", W, "mother_row",
    "第 {row} 行：{name} 出生时母亲年龄为 {mother_age} 岁，不在 15–50 岁之间，请核实",
    query=lambda qs: _mother_age(qs).filter(
        Q(mother_age__gte=12, mother_age__lt=15) | Q(mother_age__gt=50, mother_age__lte=60)
    ),
))
register(Rule(
    "R03", "家庭户有且只有一名户主", E, "relationship",
    "家庭户必须有且只有一名户主（现有 {heads} 名）",
    level="household",
    query=lambda qs: qs.filter(hh_type="1").annotate(
        heads=Count("members", filter=Q(members__relationship__in=HEAD_CODES, members__status="1"))
    ).exclude(heads=1),
))
_ = F  # re-exported helpers for rule modules
