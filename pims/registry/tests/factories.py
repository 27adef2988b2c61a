"""Minimal register rows for rule tests, written directly with the ORM.

Rule tests need rows the services would refuse (that is the point of a logic
check), so these helpers bypass the services on purpose. Defaults make a
consistent adult; tests override the one item a rule is about.
"""

import datetime as dt
import itertools

from pims.codes.models import Code, CodeTable, CodeVersion
from pims.lib import clock
from pims.registry.models import Birth, Contraception, Household, Marriage, Person, Pregnancy
from pims.registry.personal import pregnancy_outcome_stored

_numbers = itertools.count(1)


def make_household(village, *, number=None, hh_type="1", status="active", **extra) -> Household:
    return Household.objects.create(
        village=village,
        region_code=village.code,
        number=number or f"T{next(_numbers):05d}",
        hh_type=hh_type,
        address="测试地址 1 号",
        status=status,
        **extra,
    )


def make_person(
    household,
    row=1,
    sex="1",
    birth_date=dt.date(1980, 5, 1),
    relationship="02",
    marital_status="10",
    *,
    name=None,
    **extra,
) -> Person:
    code = household.region_code
    values = {
        "name": name or f"测试{household.number}{row}",
        "no_id_reason": "1",
        "ethnicity": "01",
        "hukou_type": "2",
        "registered_code": code,
        "residence_code": code,
        "responsible_code": code,
    }
    values.update(extra)
    return Person.objects.create(
        household=household,
        row=row,
        sex=sex,
        birth_date=birth_date,
        relationship=relationship,
        marital_status=marital_status,
        **values,
    )


def make_couple(
    village,
    *,
    husband_birth=dt.date(1980, 5, 1),
    wife_birth=dt.date(1982, 3, 1),
    married_on=dt.date(2006, 10, 1),
    **hh_extra,
):
    """A family household: married head (husband), wife and a marriage record."""
    hh = make_household(village, **hh_extra)
    husband = make_person(hh, 1, "1", husband_birth, "02", "20")
    wife = make_person(hh, 2, "2", wife_birth, "10", "20")
    Marriage.objects.create(husband=husband, wife=wife, date=married_on)
    hh.head = husband
    hh.save(update_fields=["head"])
    return hh, husband, wife


def make_child(
    hh,
    row,
    *,
    mother=None,
    father=None,
    birth_date=dt.date(2008, 6, 1),
    sex="1",
    relationship="20",
    order=None,
    **extra,
) -> Person:
    child = make_person(hh, row, sex, birth_date, relationship, "10", **extra)
    Birth.objects.create(child=child, mother=mother, father=father, birth_order=order)
    return child


def make_contraception(woman, method="03", start=dt.date(2009, 1, 1), end=None) -> Contraception:
    return Contraception.objects.create(woman=woman, method=method, start_date=start, end_date=end)


def make_pregnancy(woman, start=None, outcome="") -> Pregnancy:
    start = start or clock.today() - dt.timedelta(days=60)
    outcome_cipher, _date_cipher = pregnancy_outcome_stored(outcome, None)
    return Pregnancy.objects.create(woman=woman, start_date=start, ended=bool(outcome), outcome_cipher=outcome_cipher)


def make_code_table(key: str, codes: list[str]) -> CodeTable:
    table, _ = CodeTable.objects.get_or_create(key=key, defaults={"name": key})
    number = table.versions.count() + 1
    table.versions.update(is_current=False)
    version = CodeVersion.objects.create(table=table, number=number, is_current=True, checksum="0" * 64)
    Code.objects.bulk_create(Code(version=version, code=c, name=c, sort=i) for i, c in enumerate(codes))
    return table
