"""Every kind of bad file names the file and the line, and leaves the database unchanged."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pims.regions.models import Region

from .helpers import db_state, write_csv

pytestmark = pytest.mark.django_db

GOOD = "210124101,大孤家子镇,township,210124"

BAD_FILES = {
    "wrong_header": (["210124101,大孤家子镇,township"], 2, "列"),
    "bad_digits": ([GOOD, "2101241O1200,坏代码村,village,210124101"], 3, "位数字"),
    "level_length": ([GOOD, "210124101,错级村,village,210124101"], 3, "应为 12 位"),
    "unknown_level": ([GOOD, "210124101200,某村,hamlet,210124101"], 3, "未知级别"),
    "parent_not_prefix": ([GOOD, "210124101200,某村,village,210124102"], 3, "不是 210124101200 的上一级"),
    "unknown_parent": ([GOOD, "210124109200,某村,village,210124109"], 3, "不存在"),
    "duplicate": (
        [GOOD, "210124101200,甲村,village,210124101", "210124101200,乙村,village,210124101"],
        4,
        "与第 3 行重复",
    ),
    "empty_name": ([GOOD, "210124101200, ,village,210124101"], 3, "名称为空"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_names_line_and_changes_nothing(regions, tmp_path, case):
    lines, line_no, problem = BAD_FILES[case]
    path = write_csv(tmp_path, f"{case}.csv", lines)
    before = db_state()

    with pytest.raises(CommandError) as exc:
        call_command("load_regions", str(path))

    assert f"{case}.csv 第 {line_no} 行" in str(exc.value)
    assert problem in str(exc.value)
    assert db_state() == before


def test_wrong_header_is_reported_on_line_one(regions, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("code,name,lvl,parent\r\n" + GOOD + "\r\n", encoding="utf-8")

    with pytest.raises(CommandError, match="header.csv 第 1 行：表头应为"):
        call_command("load_regions", str(path))


def test_non_utf8_file_is_rejected_with_line(regions, tmp_path):
    path = write_csv(tmp_path, "gbk.csv", [GOOD, "210124101200,大孤家子村委会,village,210124101"], encoding="gbk")
    before = db_state()

    with pytest.raises(CommandError, match="gbk.csv 第 2 行：文件不是 UTF-8 编码"):
        call_command("load_regions", str(path))
    assert db_state() == before


def test_utf8_bom_is_accepted(regions, tmp_path):
    path = write_csv(tmp_path, "bom.csv", [GOOD, "210124101209,新村委会,village,210124101"], bom=True)
    call_command("load_regions", str(path))
    assert Region.objects.filter(code="210124101209").exists()


def test_parent_in_a_placeholder_row_is_refused(db, tmp_path):
    path = write_csv(
        tmp_path,
        "dongguan.csv",
        [
            "44,广东省,province,",
            "4419,东莞市,city,44",
            "441900,东莞市,county,4419",
            "441900003,东城街道,township,441900",
        ],
    )
    with pytest.raises(CommandError, match="dongguan.csv 第 5 行：上级 441900 是与其上级同码的占位行"):
        call_command("load_regions", str(path))
    assert not Region.objects.exists()


def test_error_in_second_file_rolls_back_the_first(regions, tmp_path):
    first = write_csv(tmp_path, "first.csv", [GOOD, "210124101209,新村委会,village,210124101"])
    second = write_csv(tmp_path, "second.csv", ["210124108200,孤村,village,210124108"])
    before = db_state()

    with pytest.raises(CommandError, match="second.csv 第 2 行"):
        call_command("load_regions", str(first), str(second))
    assert db_state() == before


def test_missing_file_and_bad_date_are_errors(regions, tmp_path):
    with pytest.raises(CommandError, match="nothing.csv"):
        call_command("load_regions", str(tmp_path / "nothing.csv"))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("load_regions", str(write_csv(tmp_path, "ok.csv", [GOOD])), "--effective", "2024-13-01")
