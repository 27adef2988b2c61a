import pytest
from hypothesis import given
from hypothesis import strategies as st

from pims.lib.names import INITIALS_MAX, PINYIN_MAX, has_han, name_pinyin, pinyin_query, split_surname, syllables


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("曾三", "zengsan", "zs"),
        ("单田芳", "shantianfang", "stf"),
        ("仇英", "qiuying", "qy"),
        ("解缙", "xiejin", "xj"),
        ("区伟", "ouwei", "ow"),
        ("朴树", "piaoshu", "ps"),
        ("查良镛", "zhaliangyong", "zly"),
        ("盖聂", "genie", "gn"),
        ("乐嘉", "yuejia", "yj"),
        ("覃晓", "qinxiao", "qx"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("欧阳修", "ouyangxiu", "oyx"),
        ("吕布", "lvbu", "lb"),
    ],
)
def test_reads_surnames_as_surnames(name, pinyin, initials):
    assert name_pinyin(name) == (pinyin, initials)


def test_compound_surname_wins_over_single():
    # 尉 alone is wei; 尉迟 is yuchi.
    assert split_surname("尉迟恭") == ("尉迟", ("yu", "chi"))
    assert name_pinyin("尉缭")[0].startswith("wei")


def test_surname_reading_applies_to_the_first_character_only():
    # 乐 as a surname is yue; in a given name pypinyin's reading stands.
    assert syllables("乐乐")[0] == "yue"
    assert syllables("张乐") == ["zhang", "le"]
    assert syllables("张曾") == ["zhang", "ceng"]


def test_transliterated_names_drop_the_separator():
    full, initials = name_pinyin("阿依古丽·买买提")
    assert full == "ayigulimaimaiti"
    assert initials == "ayglmmt"


def test_latin_letters_and_fullwidth_forms_are_kept_in_lower_case():
    assert name_pinyin("李Ｘ") == ("lix", "lx")


def test_empty_name():
    assert name_pinyin("") == ("", "")


def test_query_normalisation():
    assert pinyin_query("Zhang San") == "zhangsan"
    assert pinyin_query("xi'an") == "xian"
    assert pinyin_query("lü") == "lv"
    assert pinyin_query("ＺＳ") == "zs"


def test_has_han():
    assert has_han("张")
    assert not has_han("zs")


@given(st.text(max_size=60))
def test_any_text_gives_bounded_ascii(name):
    full, initials = name_pinyin(name)
    assert len(full) <= PINYIN_MAX and len(initials) <= INITIALS_MAX
    assert full.isascii() and initials.isascii()
    assert full == full.lower()
