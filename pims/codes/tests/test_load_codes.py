import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pims.audit.models import Action, AuditEntry
from pims.codes.models import CodeTable, CodeVersion
from pims.codes.selectors import code_map, current_codes, current_version

from .helpers import db_state, manifest_counts

pytestmark = pytest.mark.django_db

ALL_TABLES = {
    "sex",
    "marital_status",
    "ethnicity",
    "family_relationship",
    "education",
    "household_registration_type",
    "occupation",
    "contraceptive_method",
    "pregnancy_outcome",
    "flow_reason",
    "event_type",
    "event_source",
    "residence_status",
    "household_type",
    "person_status",
    "no_id_reason",
}


def test_loads_every_manifest_table_with_all_rows():
    call_command("load_codes")

    counts = manifest_counts()
    assert set(counts) == ALL_TABLES
    assert set(CodeTable.objects.values_list("key", flat=True)) == ALL_TABLES
    for key, n in counts.items():
        assert current_codes(key).count() == n, key
    assert counts["ethnicity"] == 58 and counts["family_relationship"] == 84 and counts["education"] == 40
    assert code_map("sex") == {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}
    assert CodeTable.objects.get(key="sex").standard == "GB/T 2261.1-2003"
    assert AuditEntry.objects.filter(action=Action.LOAD).count() == len(ALL_TABLES)


def test_ethnic_letter_code_kept_and_initials_computed():
    call_command("load_codes", table="ethnicity")
    han = current_codes("ethnicity").get(code="01")
    assert (han.name, han.initials, han.extra) == ("汉族", "hz", {"letter_code": "HA", "aliases": "汉"})


def test_second_load_creates_no_versions(capsys):
    call_command("load_codes")
    tables, versions, audits, digest = db_state()

    call_command("load_codes")

    assert db_state() == (tables, versions, audits, digest)
    assert "16 tables checked, 0 changed." in capsys.readouterr().out


def test_changed_file_makes_version_two_and_keeps_one(tmp_path):
    call_command("load_codes", table="sex")
    changed = tmp_path / "sex_v2.csv"
    changed.write_text("code,name_zh,name_en\r\n1,男性,Male\r\n2,女性,Female\r\n", encoding="utf-8")

    call_command("load_codes", table="sex", file=str(changed))

    versions = list(CodeVersion.objects.filter(table__key="sex").order_by("number").values_list("number", "is_current"))
    assert versions == [(1, False), (2, True)]
    assert code_map("sex") == {"1": "男性", "2": "女性"}
    assert CodeVersion.objects.get(table__key="sex", number=1).codes.count() == 4
    assert current_version("sex").source_file == "sex_v2.csv"
    entry = AuditEntry.objects.filter(action=Action.LOAD).latest("seq")
    assert entry.detail["table"] == "sex" and entry.detail["version"] == 2

    call_command("load_codes", table="sex", file=str(changed))
    assert CodeVersion.objects.filter(table__key="sex").count() == 2


BAD = {
    "missing_column": ("code,name_zh\r\n1,男\r\n", 1, "缺少列"),
    "duplicate": ("code,name_zh,name_en\r\n1,男,\r\n2,女,\r\n1,男,\r\n", 4, "与第 2 行重复"),
    "empty_code": ("code,name_zh,name_en\r\n1,男,\r\n ,女,\r\n", 3, "代码为空"),
    "empty_name": ("code,name_zh,name_en\r\n1,,\r\n", 2, "名称为空"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file_names_line_and_writes_nothing(tmp_path, case):
    call_command("load_codes", table="sex")
    text, line, problem = BAD[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text, encoding="utf-8")
    before = db_state()

    with pytest.raises(CommandError) as exc:
        call_command("load_codes", table="sex", file=str(path))

    assert f"{case}.csv 第 {line} 行" in str(exc.value) and problem in str(exc.value)
    assert db_state() == before


def test_non_utf8_file_is_rejected(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("code,name_zh,name_en\r\n1,男,\r\n".encode("gbk"))
    with pytest.raises(CommandError, match="gbk.csv 第 2 行：文件不是 UTF-8 编码"):
        call_command("load_codes", table="sex", file=str(path))
    assert not CodeTable.objects.exists()


def test_unknown_table_and_file_without_table_are_errors(tmp_path):
    with pytest.raises(CommandError, match="No table"):
        call_command("load_codes", table="nope")
    with pytest.raises(CommandError, match="--file needs --table"):
        call_command("load_codes", file=str(tmp_path / "x.csv"))
