"""One rule catalogue for every path (issue 13.1).

The same bad data — a mother aged 13 at a birth, a wife aged 17 at her
marriage — is refused with the same rule id and the same message (the
catalogue's constant, formatted with the record's values) through the
household form, the registry API, the police import, a birth or marriage
event and a correction; and amending the limit in its one definition (its
row of the dated parameter table) changes what every path says."""

import ast
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from pims.events import services as events
from pims.events.errors import EventRefused
from pims.events.handlers import catalogue
from pims.events.tests.conftest import approved_household, members, village_report
from pims.integration.format import HEADERS
from pims.integration.rejected import rejected_path
from pims.integration.services import police_import
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id
from pims.lib.spreadsheet import csv_writer
from pims.params import services as params
from pims.params.policy import MARRIAGE_MIN_AGE, MOTHER_AGE_MIN
from pims.registry.checks import RULES
from pims.registry.checks.limits import FEMALE, MARRIAGE_AGE, MARRIAGE_AGE_TEXT, MOTHER_AGE, MOTHER_AGE_TEXT
from pims.registry.tests.conftest import born_aged, family_form
from pims.registry.tests.factories import make_person

pytestmark = pytest.mark.usefixtures("codes")

TODAY = clock.today()
TAG = re.compile(r"\[([A-Z]\d+)\]")
SON_BORN = dt.date(2012, 3, 8)  # family_form's son (row 3, 张小明)
MOTHER_13 = dt.date(1999, 1, 1)  # 13 when 张小明 was born
WIFE_BORN, WEDDING = dt.date(1990, 1, 1), dt.date(2007, 6, 1)  # 17 at the wedding


def mother_13_said(name):
    return MOTHER_AGE, MOTHER_AGE_TEXT.format(name=name, mother_age=13, min_age=15, max_age=60)


def wife_17_said(name):
    return MARRIAGE_AGE[FEMALE], MARRIAGE_AGE_TEXT.format(name=name, sex_label="女", shown_age=17, min_age=20)


# --- the household form and the API ----------------------------------------------------


def household_input(case, village):
    """A new family (not the fixture's approved one: other IDs, another number)."""
    wife_born = MOTHER_13 if case == "mother_13" else WIFE_BORN
    head_id = make_citizen_id("210124", dt.date(1985, 6, 15), 71, "1")
    wife_id = make_citizen_id("210124", wife_born, 82, "2")
    data, rows = family_form(
        village.code, number="0002", mother_birth=wife_born.isoformat(), head_id=head_id, spouse_id=wife_id
    )
    if case == "mother_13":
        return data, rows, mother_13_said("张小明")
    for m in rows[:2]:
        m["marriage_date"] = WEDDING.isoformat()
    return data, rows, wife_17_said("李四")


def via_form(case, ctx):
    data, rows, said = household_input(case, ctx["village"])
    post = dict(data, confirm_warnings="1")
    for m in rows:
        post.update({f"m-{m['row']}-{k}": v for k, v in m.items() if k != "row"})
    url = reverse("registry:household_create") + f"?village={ctx['village'].code}"
    resp = ctx["client_for"]("clerk").post(url, post)
    body = resp.content.decode()
    return said, [(rule, body) for rule in TAG.findall(body)]


def via_api(case, ctx):
    data, rows, said = household_input(case, ctx["village"])
    payload = {**data, "village": ctx["village"].code, "members": rows, "confirm_warnings": True}
    resp = ctx["client_for"]("clerk").post(
        "/api/registry/households", json.dumps(payload), content_type="application/json"
    )
    found = resp.json().get("violations", []) if resp.status_code == 422 else []
    return said, [(v["rule"], v["message"]) for v in found]


# --- the police import ------------------------------------------------------------------


def police_row(**values) -> list[str]:
    base = {
        "民族": "汉族",
        "户号": "P0001",
        "户籍地址": "测试村 9 组",
        "户口类别": "农业家庭户口",
        "婚姻状况": "未婚",
        "户别": "家庭户",
    }
    row = dict.fromkeys(HEADERS, "")
    row.update(base)
    row.update(values)
    return [row[h] for h in HEADERS]


def via_police_import(case, ctx):
    village = ctx["village"].code
    if case == "mother_13":
        mother_id = make_citizen_id("210124", MOTHER_13, 42, "2")
        rows = [
            police_row(
                公民身份号码=mother_id, 姓名="王芳", 性别="女", 出生日期=MOTHER_13.strftime("%Y%m%d"), 与户主关系="户主"
            ),
            police_row(
                公民身份号码=make_citizen_id("210124", SON_BORN, 31, "1"),
                姓名="王小明",
                性别="男",
                出生日期=SON_BORN.strftime("%Y%m%d"),
                与户主关系="20",
                母亲公民身份号码=mother_id,
            ),
        ]
        said = mother_13_said("王小明")
    else:
        wife_born = born_aged(17, TODAY)
        husband_id = make_citizen_id("210124", dt.date(1980, 1, 1), 51, "1")
        wife_id = make_citizen_id("210124", wife_born, 62, "2")
        rows = [
            police_row(
                公民身份号码=husband_id,
                姓名="王刚",
                性别="男",
                出生日期="19800101",
                与户主关系="户主",
                婚姻状况="已婚",
                配偶公民身份号码=wife_id,
            ),
            police_row(
                公民身份号码=wife_id,
                姓名="刘芳",
                性别="女",
                出生日期=wife_born.strftime("%Y%m%d"),
                与户主关系="10",
                婚姻状况="已婚",
                配偶公民身份号码=husband_id,
            ),
        ]
        said = wife_17_said("刘芳")
    for row in rows:
        row[HEADERS.index("村(居)委会代码")] = village
    path = ctx["tmp_path"] / f"{case}.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv_writer(fh).writerows([HEADERS, *rows])
    job = police_import(actor=None, path=path)
    if not job.rows_rejected:
        return said, []
    with open(rejected_path(job), encoding="utf-8-sig") as fh:
        reasons = [part for r in csv.DictReader(fh) for part in r["错误说明"].split("；")]
    return said, [(m[1], part) for part in reasons if (m := TAG.search(part))]


# --- events and corrections -------------------------------------------------------------


def refusal(ctx, event_type, **data):
    report = village_report(ctx["personas"], ctx["regions"])
    data.setdefault("effective_date", TODAY.isoformat())
    try:
        events.event_file(actor=ctx["personas"]["clerk"], report=report, event_type=event_type, data=data)
    except EventRefused as exc:
        return [(p.rule, p.message) for p in exc.problems]
    return []


def via_event(case, ctx):
    hh, m = ctx["family"]
    if case == "mother_13":
        girl = make_person(hh, 9, "2", born_aged(13, TODAY), "30", "10", name="张小芳")
        found = refusal(ctx, "birth", related_person=girl.pk, name="张宝宝", sex="1", relationship="40")
        return mother_13_said("张宝宝"), found
    bride = make_person(hh, 9, "2", born_aged(17, TODAY), "30", "10", name="张小芳")
    groom = make_person(hh, 10, "1", born_aged(25, TODAY), "20", "10", name="赵明")
    return wife_17_said("张小芳"), refusal(ctx, "marriage", person=groom.pk, related_person=bride.pk)


def via_correction(case, ctx):
    hh, m = ctx["family"]
    if case == "mother_13":
        other = make_person(hh, 9, "2", dt.date(1998, 12, 1), "30", "10", name="张小芳")
        found = refusal(
            ctx, "correction", person=m["张小明"].pk, field="birth_mother", before="李四", after_person=other.pk
        )
        return mother_13_said("张小明"), found
    # The family married on family_form's date, 2010-05-01: a bride born in
    # 1992-06 was 17 then.
    bride = make_person(hh, 9, "2", dt.date(1992, 6, 1), "99", "10", name="王五")
    found = refusal(ctx, "correction", person=m["张三"].pk, field="spouse", before="李四", after_person=bride.pk)
    return wife_17_said("王五"), found


PATHS = {
    "form": via_form,
    "api": via_api,
    "police_import": via_police_import,
    "event": via_event,
    "correction": via_correction,
}


@pytest.fixture
def ctx(personas, regions, client_for, tmp_path):
    hh = approved_household(personas, regions["village_a1"], number="0900")
    return {
        "personas": personas,
        "regions": regions,
        "village": regions["village_a1"],
        "client_for": client_for,
        "tmp_path": tmp_path,
        "family": (hh, members(hh)),
    }


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", ["mother_13", "wife_17"])
def test_the_same_bad_data_is_refused_with_the_same_rule_and_message_on_every_path(ctx, case, path):
    (rule, text), found = PATHS[path](case, ctx)
    hits = [message for r, message in found if r == rule]
    assert hits, (rule, found)
    assert any(text in message for message in hits), (text, hits)
    assert all(f"[{rule}]" in message for message in hits)


LIMITS = {"mother_13": (MOTHER_AGE_MIN, "12"), "wife_17": (MARRIAGE_MIN_AGE[FEMALE], "16")}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", ["mother_13", "wife_17"])
def test_amending_the_limit_in_its_parameter_row_changes_every_path(ctx, case, path):
    key, value = LIMITS[case]
    params.parameter_amend(
        actor=ctx["personas"]["sysadmin"],
        key=key,
        value=value,
        valid_from=dt.date(1900, 1, 1),
        source="测试：修订后各途径同时按新界限判断",
        status="unverified",
    )
    (rule, _), found = PATHS[path](case, ctx)
    assert rule not in {r for r, _ in found}, found


# --- the catalogue's document ------------------------------------------------------------


def test_the_committed_catalogue_document_is_the_generated_one():
    """docs/logic-checks.md is `manage.py list_rules`' output: regenerate it
    (`manage.py list_rules > docs/logic-checks.md`) when a rule changes."""
    out = io.StringIO()
    call_command("list_rules", stdout=out)
    assert (settings.BASE_DIR / "docs" / "logic-checks.md").read_text(encoding="utf-8") == out.getvalue()


def test_event_rules_and_the_shared_limits_are_in_the_catalogue():
    out = io.StringIO()
    call_command("list_rules", stdout=out)
    rows = {line.split(" | ")[0].lstrip("| ") for line in out.getvalue().splitlines() if line.startswith("| ")}
    assert {"R01", "R02", "R07", "R08", "E04", "E21", "E81"} <= rows
    assert RULES["R08"].params == (MOTHER_AGE_MIN, "birth.mother_age.max")


def _literal_rules(path: Path) -> list[str]:
    """String literals (docstrings aside) that state a rule: `（规则：…）`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return [
        f"{path.name}:{n.lineno}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings and "规则：" in n.value
    ]


def test_no_event_handler_or_event_form_writes_a_rule_of_its_own():
    """Every refusal of an event handler comes from the catalogue (an E- or
    a shared R-rule), so it has an id, is listed and is the same everywhere."""
    handlers = Path(catalogue.__file__).parent
    paths = [p for p in sorted(handlers.glob("*.py")) if p.name != "catalogue.py"]
    paths += [handlers.parent / "forms.py", handlers.parent / "engine.py"]
    found = [hit for path in paths for hit in _literal_rules(path)]
    assert found == []
