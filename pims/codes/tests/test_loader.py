import pytest

from pims.codes.loader import CodeFileError, CodeRow, parse_code_text, pinyin_initials, rows_checksum


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("汉族", "hz"),
        ("回族", "hz"),
        ("男", "n"),
        ("县内迁移(机械变动)", "xnqyjxbd"),
        ("复婚/再婚", "fhzh"),
        ("妊娠结局", "rsjj"),
    ],
)
def test_pinyin_initials(name, initials):
    assert pinyin_initials(name) == initials


def test_extra_columns_become_extra_attributes():
    rows = parse_code_text("code,name_zh,name_en,letter_code\r\n01,汉族,Han,HA\r\n", "e.csv")
    assert rows == [CodeRow("01", "汉族", "Han", {"letter_code": "HA"})]


def test_checksum_ignores_line_endings_but_not_order():
    lf = parse_code_text("code,name_zh,name_en\n1,男,\n2,女,\n", "a")
    crlf = parse_code_text("\ufeffcode,name_zh,name_en\r\n1,男,\r\n2,女,\r\n", "b")
    assert rows_checksum(lf) == rows_checksum(crlf)
    assert rows_checksum(lf) != rows_checksum(list(reversed(lf)))


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("code,name_zh\n1,男\n", 1, "缺少列：name_en"),
        ("code,name_zh,name_en\n1,男,\n1,女,\n", 3, "与第 2 行重复"),
        ("code,name_zh,name_en\n1,男,\n,女,\n", 3, "代码为空"),
        ("code,name_zh,name_en\n1,,\n", 2, "名称为空"),
        ("code,name_zh,name_en\n1,男\n", 2, "应有 3 列"),
    ],
)
def test_bad_text_names_line(text, line, problem):
    with pytest.raises(CodeFileError) as exc:
        parse_code_text(text, "t.csv")
    assert exc.value.line == line
    assert f"t.csv 第 {line} 行" in str(exc.value) and problem in str(exc.value)


def test_an_alias_that_could_mean_two_codes_is_refused():
    from pims.codes.loader import CodeFileError, parse_code_text, row_aliases

    rows = parse_code_text("code,name_zh,name_en,aliases\n1,男,Male,男性|男子\n2,女,Female,女性\n", "sex.csv")
    assert row_aliases(rows[0]) == ["男性", "男子"]
    for text in (
        "code,name_zh,name_en,aliases\n1,男,,女\n2,女,,\n",  # another code's name
        "code,name_zh,name_en,aliases\n1,男,,2\n2,女,,\n",  # another code's code
        "code,name_zh,name_en,aliases\n1,男,,甲\n2,女,,甲\n",  # another code's alias
    ):
        with pytest.raises(CodeFileError, match="别名"):
            parse_code_text(text, "sex.csv")
