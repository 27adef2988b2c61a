import pytest
from django.core.management import call_command

from pims.codes.loader import CodeRow
from pims.codes.models import CodeTable
from pims.codes.selectors import code_is_valid, code_lookup
from pims.codes.services import code_table_new_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def ethnicity(db):
    call_command("load_codes", table="ethnicity")


def codes(found) -> list[str]:
    return [c.code for c in found]


def test_lookup_by_code(ethnicity):
    assert codes(code_lookup("ethnicity", "01")) == ["01"]


def test_lookup_by_exact_name(ethnicity):
    assert codes(code_lookup("ethnicity", "回族")) == ["03"]


def test_lookup_by_initials_finds_all_matches_exact_first(ethnicity):
    assert codes(code_lookup("ethnicity", "hz")) == ["01", "03", "53"]  # 汉族, 回族, then 赫哲族 (hzz)
    assert codes(code_lookup("ethnicity", " HZZ ")) == ["53"]


def test_lookup_nothing(ethnicity):
    assert code_lookup("ethnicity", "") == []
    assert code_lookup("ethnicity", "qqq") == []
    assert code_lookup("no_such_table", "01") == []


def test_code_is_valid(ethnicity):
    assert code_is_valid("ethnicity", "56") and code_is_valid("ethnicity", "98")
    assert not code_is_valid("ethnicity", "57")
    assert not code_is_valid("ethnicity", "")
    assert not code_is_valid("sex", "1")


def test_new_version_is_seen_at_once(ethnicity, django_assert_max_num_queries):
    assert code_is_valid("ethnicity", "01")
    with django_assert_max_num_queries(1):  # cached codes: only the current-version query
        assert code_is_valid("ethnicity", "02")

    table = CodeTable.objects.get(key="ethnicity")
    code_table_new_version(actor=None, table=table, rows=[CodeRow("99", "测试族")], note="t")

    assert not code_is_valid("ethnicity", "01")
    assert codes(code_lookup("ethnicity", "csz")) == ["99"]


def test_names_and_the_manuals_aliases_stand_for_their_code(ethnicity):
    """民族 "汉" is 汉族 (the manual's aliases column), as are 汉族 and 01."""
    from pims.codes.selectors import code_for_text, code_text_map

    assert [code_for_text("ethnicity", t) for t in ("汉", "汉族", "01", " 蒙古 ")] == ["01", "01", "01", "02"]
    assert code_for_text("ethnicity", "hz") is None  # initials are a search, not a code
    assert code_for_text("ethnicity", "") is None
    assert code_text_map("ethnicity")["土"] == "30"
    assert codes(code_lookup("ethnicity", "汉")) == ["01"]
