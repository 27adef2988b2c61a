"""A small register built through the registry's own service: two households
in township A's villages, one single-person household, and one household in
township B (the outsider's) whose names overlap township A's on purpose."""

import datetime as dt
from dataclasses import dataclass

import pytest

from pims.lib.citizen_id import make_citizen_id
from pims.registry import services as registry
from pims.registry.models import Person
from pims.registry.tests.conftest import COLLECTED_ON, family_form

BASE = {"ethnicity": "01", "hukou_type": "2", "education": "", "occupation": "", "residence_status": "1"}


def member(row, name, sex, birth, relationship, marital, *, seq=None, **extra) -> dict:
    birth_date = dt.date.fromisoformat(birth)
    m = {
        **BASE,
        "row": row,
        "name": name,
        "sex": sex,
        "birth_date": birth,
        "relationship": relationship,
        "marital_status": marital,
        **extra,
    }
    if seq is None:
        m.setdefault("no_id_reason", "1")
    else:
        m["citizen_id"] = make_citizen_id("210124", birth_date, seq, sex)
    return m


def save_household(actor, village, number, members, address="测试村一组 1 号"):
    data = {
        "number": number,
        "hh_type": "1",
        "address": address,
        "form_number": "",
        "volume_number": "",
        "collected_on": COLLECTED_ON.isoformat(),
    }
    result = registry.household_save(
        actor=actor, data=data, members=members, village_code=village.code, confirm_warnings=True
    )
    assert result.saved, [(v.row, v.field, v.message) for v in result.violations]
    return result.household


@dataclass
class World:
    persons: dict
    households: dict
    ids: dict

    def __getitem__(self, name) -> Person:
        return self.persons[name]


def build_world(personas, regions) -> World:
    op, outsider = personas["operator"], personas["outsider"]
    data, members = family_form(regions["village_a1"].code)  # 张三, 李四 (IUD), 张小明, 张小红
    hh_a1 = registry.household_save(
        actor=op, data=data, members=members, village_code=regions["village_a1"].code, confirm_warnings=True
    ).household
    ids = {"张三": members[0]["citizen_id"], "李四": members[1]["citizen_id"]}
    a2 = [
        member(
            1,
            "曾三",
            "1",
            "1980-02-01",
            "02",
            "21",
            seq=31,
            spouse_row="2",
            marriage_date="2015-01-01",
            phone="13912345678",
        ),
        member(2, "王芳", "2", "1992-01-10", "10", "21", seq=42, spouse_row="1", marriage_date="2015-01-01"),
    ]
    hh_a2 = save_household(op, regions["village_a2"], "0002", a2)
    ids |= {"曾三": a2[0]["citizen_id"], "王芳": a2[1]["citizen_id"]}
    a3 = [
        member(
            1,
            "单田芳",
            "1",
            "1950-03-03",
            "02",
            "30",
            seq=53,
            residence_status="3",
            residence_code=regions["village_a1"].code,
        ),
    ]
    hh_a3 = save_household(op, regions["village_a2"], "0003", a3)
    ids["单田芳"] = a3[0]["citizen_id"]
    b1 = [
        member(1, "张三丰", "1", "1970-07-07", "02", "21", seq=71, spouse_row="2", marriage_date="2012-01-01"),
        member(2, "赵敏", "2", "1990-09-09", "10", "21", seq=82, spouse_row="1", marriage_date="2012-01-01"),
    ]
    hh_b1 = save_household(outsider, regions["village_b1"], "0001", b1)
    ids |= {"张三丰": b1[0]["citizen_id"], "赵敏": b1[1]["citizen_id"]}
    persons = {p.name: p for p in Person.objects.all()}
    return World(persons=persons, households={"a1": hh_a1, "a2": hh_a2, "a3": hh_a3, "b1": hh_b1}, ids=ids)


@pytest.fixture
def world(db, codes, personas, regions) -> World:
    return build_world(personas, regions)
