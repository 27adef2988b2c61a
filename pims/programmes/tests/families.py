"""Hand-built families for the eligibility rules, written with the ORM
factories (a rule test needs rows the services might refuse).

`jiangfu_family` is a rural couple of village A1 who pass every 奖扶
condition in 2026 with one son; `tefu_family` a couple whose only child
died. Tests change the one item a condition is about."""

import datetime as dt

from django.utils import timezone

from pims.programmes.models import FactKind, PersonFact, Policy
from pims.registry.tests.factories import make_child, make_couple

YEAR = 2026


def fact(person, kind, value="", **extra):
    return PersonFact.objects.create(
        person=person, kind=kind, value=value, source="测试", recorded_at=timezone.now(), **extra
    )


def child(hh, row, husband, wife, *, name, born, sex="1", policy=Policy.IN, status="1", **extra):
    relationship = "20" if sex == "1" else "30"
    kid = make_child(
        hh,
        row,
        mother=wife,
        father=husband,
        birth_date=born,
        sex=sex,
        relationship=relationship,
        name=name,
        status=status,
        **extra,
    )
    if policy:
        fact(kid, FactKind.POLICY, policy)
    return kid


def jiangfu_family(village, *, husband_birth=dt.date(1962, 3, 1), wife_birth=dt.date(1964, 8, 1), hukou="2"):
    """Husband 64, wife 62 in 2026, 农业 hukou, one son 张一 born 1985 (政策内)."""
    hh, husband, wife = make_couple(
        village, husband_birth=husband_birth, wife_birth=wife_birth, married_on=dt.date(1984, 1, 10)
    )
    husband.name, wife.name = "张大", "李大"
    husband.hukou_type = wife.hukou_type = hukou
    husband.save()
    wife.save()
    son = child(hh, 3, husband, wife, name="张一", born=dt.date(1985, 4, 2))
    return hh, husband, wife, son


def tefu_family(village, *, wife_birth=dt.date(1970, 2, 1), child_dead=True):
    """Urban couple (wife 56 in 2026) whose only daughter 王一 (1995) died in 2020."""
    hh, husband, wife = make_couple(
        village, husband_birth=dt.date(1968, 5, 1), wife_birth=wife_birth, married_on=dt.date(1993, 5, 1)
    )
    husband.name, wife.name = "王大", "赵大"
    husband.hukou_type = wife.hukou_type = "1"
    husband.save()
    wife.save()
    kid = child(
        hh,
        3,
        husband,
        wife,
        name="王一",
        born=dt.date(1995, 7, 1),
        sex="2",
        status="2" if child_dead else "1",
        death_date=dt.date(2020, 3, 1) if child_dead else None,
    )
    return hh, husband, wife, kid
