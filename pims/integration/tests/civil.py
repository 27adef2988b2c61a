"""Helpers for the civil-affairs import tests: registered persons and files."""

import datetime as dt

from pims.integration.sources.civil.columns import COLUMNS
from pims.lib.citizen_id import make_citizen_id
from pims.registry import services as registry
from pims.registry.tests.conftest import family_form

HEADERS = [c.header for c in COLUMNS]


def single(personas, village, *, number, name, sex, birth: dt.date, seq: int):
    """An unmarried adult registered alone in a household (collected,
    submitted and approved through the registry's services)."""
    data, members = family_form(village.code, number=number)
    number_id = make_citizen_id("210124", birth, seq, sex)
    head = {
        **members[0],
        "name": name,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "marital_status": "10",
        "citizen_id": number_id,
    }
    for key in ("spouse_row", "marriage_date"):
        head.pop(key, None)
    in_a = village.code.startswith(personas["operator"].region.prefix)
    clerk = personas["operator"] if in_a else personas["outsider"]
    result = registry.household_save(
        actor=clerk, data=data, members=[head], village_code=village.code, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert hh is not None
    assert registry.household_submit(actor=clerk, household=hh, confirm_warnings=True).saved
    registry.household_approve(actor=personas["reviewer"] if in_a else personas["county"], household=hh)
    return hh.members.get(), number_id


def days_ago(n: int) -> str:
    from pims.lib import clock

    return (clock.today() - dt.timedelta(days=n)).isoformat()


def row(kind="结婚", date=None, doc="J210124-2027-000001", husband=None, wife=None, **extra) -> dict:
    """One record as civil affairs writes it; `husband` / `wife`: (name, ID, sex, birth date)."""
    out = {"业务类型": kind, "登记日期": date or days_ago(21), "登记机关": "法库县民政局", "结婚证字号": doc}
    for label, party in (("男方", husband), ("女方", wife)):
        name, number, sex, birth = party or ("", "", "", "")
        out |= {
            f"{label}姓名": name,
            f"{label}公民身份号码": number,
            f"{label}性别": sex,
            f"{label}出生日期": birth,
            f"{label}民族": "汉族",
            f"{label}国籍": "中国",
            f"{label}户籍地址": "辽宁省法库县",
        }
    return out | extra


def write(path, rows: list[dict], headers: list[str] = HEADERS):
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def legacy(number18: str) -> str:
    """The 15-digit form of an ID issued before 1999."""
    return number18[:6] + number18[8:17]
