"""Names, not codes, where a person reads (issue 15.3), and the review page
that shows every collected column in Chinese (issue 15.4)."""

import datetime as dt

import pytest
from django.urls import reverse

from pims.codes.names import code_label, code_name
from pims.registry import services
from pims.registry.checks.input_rules import MEMBER_LABELS
from pims.registry.forms import MEMBER_FIELDS

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")


def submitted(personas, regions):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    assert services.household_submit(actor=personas["clerk"], household=hh).saved
    return hh


def test_code_names_come_from_the_code_manual():
    assert code_name("marital_status", "20") == "已婚"
    assert code_name("relationship", "02") == "户主"  # a register field name works as well as a table key
    assert code_label("marital_status", "21") == "初婚（21）"
    assert code_name("marital_status", "77") == "77"  # unknown: shown as stored, never blank
    assert code_name("marital_status", "") == "" and code_label("sex", None) == ""


def test_household_detail_names_relationship_and_marital_status(client_for, personas, regions):
    hh = submitted(personas, regions)
    body = client_for("clerk").get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "<td>户主</td>" in body and "<td>初婚</td>" in body and "<td>配偶</td>" in body
    assert "<td>02</td>" not in body and "<td>21</td>" not in body


def test_review_page_shows_every_column_readably_with_chinese_field_picker(client_for, personas, regions):
    hh = submitted(personas, regions)
    body = client_for("reviewer").get(reverse("registry:household_review", args=[hh.pk])).content.decode()
    for field in MEMBER_FIELDS:
        assert f"<dt>{MEMBER_LABELS[field]}</dt>" in body, field
        assert f'<option value="{field}">{MEMBER_LABELS[field]}</option>' in body, field
    assert "<dd>户主（02）</dd>" in body and "<dd>汉族（01）</dd>" in body
    assert "<dd>大孤家子村委会</dd>" in body  # the registered region by name
    assert "<dd>第 2 行 李四</dd>" in body  # the spouse / mother row by name
    assert ">contraception_start<" not in body


def test_returned_comment_names_the_field_in_chinese(client_for, personas, regions):
    hh = submitted(personas, regions)
    services.household_return(
        actor=personas["reviewer"],
        household=hh,
        comments=[{"row": 2, "field": "contraception_start", "message": "请核对避孕开始日期"}],
    )
    form = client_for("clerk").get(reverse("registry:household_edit", args=[hh.pk])).content.decode()
    assert "避孕开始日期）：请核对避孕开始日期" in form and "contraception_start）" not in form
    assert 'aria-label="第 2 行 联系电话"' in form
    detail = client_for("clerk").get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "避孕开始日期：请核对避孕开始日期" in detail


def test_rule_message_names_the_stored_code(personas, regions):
    from pims.registry.checks.runner import check_households

    from .factories import make_household, make_person

    hh = make_household(regions["village_a1"])
    make_person(hh, 1, "1", dt.date(2015, 1, 1), "02", "20")
    [v] = [v for v in check_households([hh.id]) if v.rule_id == "R35"]
    assert "婚姻状况却为“已婚（20）”" in v.message
