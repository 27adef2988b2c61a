"""Identifiers that Excel stored as numbers are refused cell by cell, never
rounded into another person's ID (issue 14 item 3)."""

import csv
import datetime as dt
import re

from openpyxl import Workbook

from pims.integration.format import COLUMNS, HEADERS
from pims.integration.rejected import rejected_path
from pims.integration.services import police_import
from pims.lib.citizen_id import check_char, make_citizen_id
from pims.registry.models import Marriage, Person
from pims.registry.personal import citizen_id_index
from pims.registry.tests.factories import make_household, make_person

COL = {h: i for i, h in enumerate(HEADERS)}


def excel_number(digits: str) -> float:
    """What Excel keeps of a long number typed into a number cell: 15
    significant digits."""
    return float(f"{int(digits):.15g}")


def id_whose_rounding_is_valid() -> tuple[str, str]:
    """(a woman's ID, what Excel keeps of it) where the rounded number is
    itself a *valid* ID: the old reader stored it as someone else's number,
    with no warning."""
    for day in range(400):
        birth = dt.date(1980, 1, 1) + dt.timedelta(days=day)
        for seq in range(2, 1000, 2):
            number = make_citizen_id("210124", birth, seq, "2")
            if not number.isdigit():
                continue  # an ID ending in X cannot be typed as a number
            rounded = str(int(excel_number(number)))
            if rounded != number and check_char(rounded[:17]) == rounded[17]:
                return number, rounded
    raise AssertionError("no such ID in the range searched")


def row(n: int, village: str, **over) -> list:
    birth = dt.date(1985, 3, 1) + dt.timedelta(days=n)
    values = {
        "公民身份号码": make_citizen_id("210124", birth, 2 * n + 1, "1"),
        "姓名": "钱" + "明亮强军"[n % 4],
        "性别": "男",
        "民族": "汉族",
        "出生日期": birth.strftime("%Y%m%d"),
        "户号": f"N{n:04d}",
        "与户主关系": "户主",
        "户籍地址": "测试村 3 组",
        "户口类别": "农业家庭户口",
        "婚姻状况": "未婚",
        "村(居)委会代码": village,
        "户别": "家庭户",
    }
    values.update(over)
    cells = [""] * len(HEADERS)
    for header, value in values.items():
        cells[COL[header]] = value
    return cells


def write_xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)


def rejected_rows(job) -> dict[int, dict]:
    with open(rejected_path(job), encoding="utf-8-sig", newline="") as fh:
        return {int(r["原行号"]): r for r in csv.DictReader(fh)}


def test_an_id_rounded_by_excel_into_a_valid_number_is_refused_naming_the_cell(regions, codes, tmp_path):
    village = regions["village_a1"].code
    number, rounded = id_whose_rounding_is_valid()
    birth = dt.datetime.strptime(number[6:14], "%Y%m%d").date()
    woman = row(1, village, 公民身份号码=excel_number(number), 性别="女", 出生日期=birth.strftime("%Y%m%d"))
    path = tmp_path / "ids.xlsx"
    write_xlsx(path, [row(0, village), woman])

    job = police_import(actor=None, path=path)

    assert (job.rows_loaded, job.rows_rejected) == (1, 1)
    assert not Person.objects.filter(id_index=citizen_id_index(rounded)).exists()
    assert not Person.objects.filter(id_index=citizen_id_index(number)).exists()
    refused = rejected_rows(job)[3]
    assert refused["错误规则"] == "P11"
    assert "A3" in refused["错误说明"] and "公民身份号码" in refused["错误说明"]
    assert "文本" in refused["错误说明"] and "设置单元格格式" in refused["错误说明"]
    # The rejected-rows file shows the number as Excel does, never as plausible digits.
    assert refused["公民身份号码"] == f"{excel_number(number):.15G}"


def test_phone_household_and_relative_numbers_stored_as_numbers_are_refused(regions, codes, tmp_path):
    village = regions["village_a1"].code
    path = tmp_path / "numbers.xlsx"
    mother = "210124196001010020"
    write_xlsx(
        path,
        [
            row(1, village, 联系电话=13812345678),
            row(2, village, 户号=17),
            row(3, village, 母亲公民身份号码=excel_number(mother)),
            row(4, village, 联系电话="13812345678", 户号="0018"),
        ],
    )
    job = police_import(actor=None, path=path)
    assert (job.rows_loaded, job.rows_rejected) == (1, 3)
    refused = rejected_rows(job)
    for line, ref, header in [(2, "S2", "联系电话"), (3, "F3", "户号"), (4, "U4", "母亲公民身份号码")]:
        assert refused[line]["错误规则"] == "P11"
        assert ref in refused[line]["错误说明"] and header in refused[line]["错误说明"]
    assert Person.objects.get().household.number == "0018"


def test_other_numeric_cells_read_as_their_digits(regions, codes, tmp_path):
    village = regions["village_a1"].code
    path = tmp_path / "codes.xlsx"
    write_xlsx(
        path, [row(1, village, 出生日期=int(row(1, village)[COL["出生日期"]]), **{"村(居)委会代码": int(village)})]
    )
    job = police_import(actor=None, path=path)
    assert (job.rows_loaded, job.rows_rejected) == (1, 0)


def test_a_csv_id_that_excel_saved_in_scientific_notation_is_refused(regions, codes, tmp_path):
    village = regions["village_a1"].code
    path = tmp_path / "saved-by-excel.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADERS, row(1, village, 公民身份号码="2.10124E+17"), row(2, village)])
    job = police_import(actor=None, path=path)
    assert (job.rows_loaded, job.rows_rejected) == (1, 1)
    refused = rejected_rows(job)[2]
    assert refused["错误规则"] == "P12" and "A2" in refused["错误说明"] and "文本" in refused["错误说明"]


def test_a_rounded_id_is_not_matched_to_the_person_who_holds_it(regions, codes, tmp_path):
    """The rounding can land on a registered person's number: refusing the
    cell keeps that person's record untouched and unlinked."""
    village = regions["village_a1"]
    number, rounded = id_whose_rounding_is_valid()
    hh = make_household(regions["village_a2"], number="Z0001")
    holder = make_person(hh, 1, "2", dt.date(1980, 1, 1), "02", "10", id_index=citizen_id_index(rounded))
    path = tmp_path / "spouse.xlsx"
    write_xlsx(path, [row(1, village.code, 配偶公民身份号码=excel_number(number), 婚姻状况="已婚")])
    job = police_import(actor=None, path=path)
    assert job.rows_rejected == 1 and rejected_rows(job)[2]["错误规则"] == "P11"
    assert Marriage.objects.count() == 0 and holder.household_id == hh.pk


IDENTIFIER_HEADER = re.compile(r"(号码|身份证号|户号|户编号|编号|证号|电话|手机)$")


def test_every_identifier_column_of_the_extract_is_text_only():
    """A column table added later must mark its identifiers the same way."""
    for column in COLUMNS:
        names = (column.header, *column.aliases)
        assert column.text_only == any(IDENTIFIER_HEADER.search(n) for n in names), column.header
