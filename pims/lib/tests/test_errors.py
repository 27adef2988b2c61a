"""The error root: kinds, statuses, messages from constants, and one root
for every exception class the product defines."""

import ast
import pickle
from pathlib import Path

from pims.lib import errors as e

PIMS = Path(__file__).resolve().parents[2]


def test_each_kind_answers_its_status():
    assert [k.status for k in (e.NotFound, e.NotPermitted, e.Refused, e.Conflict, e.Invalid, e.Unavailable)] == [
        404,
        404,
        400,
        409,
        422,
        503,
    ]
    assert e.Failure.status == 500
    assert issubclass(e.NotPermitted, e.NotFound) and not issubclass(e.NotFound, e.Refused)


def test_message_is_the_constant_filled_with_its_parameters():
    template = "%(region)s %(period)s 已经月结"
    exc = e.Conflict(template, region="法库县", period="2026-05")
    assert exc.template is template and str(exc) == "法库县 2026-05 已经月结" and exc.messages == [str(exc)]
    assert str(e.Conflict("100% 完成")) == "100% 完成"  # no parameters: no formatting


def test_invalid_names_record_field_and_rule_of_each_problem():
    problems = [e.Problem("母亲年龄不足", rule="R12", field="birth_date", record="第 2 行", details={"row": 2})]
    exc = e.Invalid("采集表未保存", problems=problems, extra={"violations": []})
    assert exc.messages == ["母亲年龄不足"]
    assert exc.body() == {
        "detail": "采集表未保存",
        "problems": [{"record": "第 2 行", "field": "birth_date", "rule": "R12", "message": "母亲年龄不足", "row": 2}],
        "violations": [],
    }
    # Without problems the message is the one problem, with the error's code as its rule.
    assert e.Invalid("格式不对", code="X1").body()["problems"] == [
        {"record": "", "field": "", "rule": "X1", "message": "格式不对"}
    ]


def test_file_refusal_names_file_and_line():
    exc = e.FileRefused("sex.csv", 3, "代码为空")
    assert str(exc) == "sex.csv 第 3 行：代码为空" and exc.problems[0].record == "sex.csv 第 3 行"
    assert str(e.FileRefused("sex.csv", None, "没有代码行")) == "sex.csv：没有代码行"


def test_errors_survive_pickling_whatever_their_constructor():
    for exc in (
        e.FileRefused("a.csv", 2, "坏"),
        e.Conflict("%(n)s 条", n=3),
        e.Invalid("x", problems=[e.Problem("p")]),
    ):
        back = pickle.loads(pickle.dumps(exc))  # noqa: S301  (our own bytes)
        assert type(back) is type(exc) and str(back) == str(exc) and back.__dict__ == exc.__dict__


def _exception_classes():
    """(path, class name, base names) of every class in the product that
    derives from an exception by name."""
    for path in sorted(PIMS.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Exception", "Error")) for b in bases):
                    yield path.relative_to(PIMS.parent), node.name, bases


def test_every_error_class_of_the_product_has_the_one_root():
    builtin = {"Exception", "ValueError", "RuntimeError", "LookupError", "KeyError", "TypeError", "PermissionError"}
    # The root itself, and control flow inside one function (never raised to a caller).
    private = {("pims/registry/services.py", "_Rollback"), ("pims/lib/errors.py", "PimsError")}
    strays = [
        f"{path}: {name}({', '.join(bases)})"
        for path, name, bases in _exception_classes()
        if (str(path), name) not in private and all(b in builtin for b in bases)
    ]
    assert not strays, "error classes outside pims.lib.errors' root:\n" + "\n".join(strays)
