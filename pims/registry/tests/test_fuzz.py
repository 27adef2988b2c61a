"""Property tests: whatever arrives at the collection form or the API, the
answer is never a server error, and a household is stored whole (every
member) or not at all."""

import datetime as dt
import itertools
import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pims.lib.citizen_id import make_citizen_id
from pims.registry.forms import HOUSEHOLD_FIELDS, MAX_ROWS, MEMBER_FIELDS
from pims.registry.models import Birth, Household, Marriage, Person
from pims.testing.fixtures import login

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")

VILLAGE = "210124101200"  # village A1 of the test tree
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values that reach interesting branches: codes and near-codes, dates, row
# references (including digits that are not ASCII), control characters and
# sizes beyond every column.
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "1",
        "2",
        "3",
        "01",
        "02",
        "10",
        "20",
        "21",
        "99",
        "-1",
        "1.5",
        "1e9",
        "9" * 30,
        "2012-03-08",
        "2099-01-01",
        "1900-02-30",
        "0000-00-00",
        "²",
        "١",
        "٣",
        "一",
        "NaN",
        "null",
        "None",
        "210124101200",
        "210124102200",
        "210124000000",
        "张三",
        "a\x00b",
        "\u202e",
        "<script>",
        "' OR 1=1 --",
    ]
)
TEXT = st.one_of(
    TRICKY,
    st.text(max_size=25),
    st.text(min_size=180, max_size=600),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
RAW = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.floats(allow_nan=False),
    TEXT,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


# Fresh household numbers and ID numbers per example: Hypothesis repeats
# small values, and a repeat is (correctly) refused as a duplicate.
_fresh = itertools.count(1)
NUMBER = st.builds(lambda: f"F{next(_fresh)}")


def _counts():
    return (Household.objects.count(), Person.objects.count(), Birth.objects.count(), Marriage.objects.count())


def _valid_rows(number: str):
    """The conftest family with ID numbers of its own (a fresh sequence number), so that earlier
    examples' households do not make this one a duplicate."""
    seq = next(_fresh) % 500
    data, members = family_form(
        VILLAGE,
        number=number,
        head_id=make_citizen_id("210124", dt.date(1985, 6, 15), 2 * seq + 1, "1"),
        spouse_id=make_citizen_id("210124", dt.date(1988, 4, 2), 2 * seq, "2"),
    )
    members[1]["contraceptive_method"] = "03"  # IUD (the code manual's coding)
    return data, members


# Weighted so that about a third of the examples are stored (and the
# whole-or-nothing property is exercised on both sides).
MODES = st.integers(0, 8).map(lambda n: "intact" if n < 3 else "damaged" if n < 6 else "random")


@st.composite
def form_input(draw):
    """(household fields, {row: {field: text}}): the valid family as typed,
    the family with a few values replaced, or rows made up from scratch."""
    mode = draw(MODES)
    number = draw(NUMBER if mode in ("intact", "damaged") else st.one_of(NUMBER, TEXT))
    data, members = _valid_rows(number)
    rows = {m["row"]: {k: str(v) for k, v in m.items() if k != "row"} for m in members}
    if mode == "damaged":
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                data[draw(st.sampled_from(HOUSEHOLD_FIELDS))] = draw(TEXT)
            else:
                rows[draw(st.sampled_from(sorted(rows)))][draw(st.sampled_from(MEMBER_FIELDS))] = draw(TEXT)
    elif mode == "random":
        data = {f: draw(TEXT) for f in draw(st.lists(st.sampled_from(HOUSEHOLD_FIELDS), unique=True))}
        rows = {}
        for row in draw(st.lists(st.integers(1, MAX_ROWS + 3), max_size=6, unique=True)):
            keys = draw(st.lists(st.sampled_from(MEMBER_FIELDS), max_size=len(MEMBER_FIELDS), unique=True))
            rows[row] = {k: draw(TEXT) for k in keys}
            for ref in ("spouse_row", "mother_row", "father_row"):
                if draw(st.booleans()):
                    rows[row][ref] = str(draw(st.integers(-2, MAX_ROWS + 2)))
    return data, rows


def _post_data(data, rows):
    post = dict(data)
    for row, fields in rows.items():
        for k, v in fields.items():
            post[f"m-{row}-{k}"] = v
    return post


def _filled_rows(rows) -> int:
    """Rows the form takes: numbered 1–60 with at least one non-blank value."""
    return sum(1 for r, f in rows.items() if 1 <= r <= MAX_ROWS and any(str(v).strip() for v in f.values()))


def test_form_post_never_500_and_saves_whole_or_nothing(personas):
    client = login(Client(), personas["clerk"])
    url = reverse("registry:household_create") + f"?village={VILLAGE}"

    @FUZZ
    @given(form_input(), st.booleans())
    def run(case, confirm):
        data, rows = case
        before = _counts()
        post = _post_data(data, rows)
        if confirm:
            post["confirm_warnings"] = "1"
        resp = client.post(url, post)
        event(f"status {resp.status_code}")
        assert resp.status_code in (302, 404, 409, 422), resp.status_code
        after = _counts()
        if resp.status_code == 302:
            assert after[0] == before[0] + 1
            assert after[1] == before[1] + _filled_rows(rows)
        else:
            assert after == before

    run()


API_MODES = st.integers(0, 9).map(
    lambda n: "intact" if n < 4 else "damaged" if n < 7 else "shape" if n < 9 else "random"
)


@st.composite
def api_input(draw):
    """A JSON body: the valid family, with values replaced by other strings
    (judged by the rules), or with wrong types, missing and extra keys, or
    random members (refused by the schema or the rules)."""
    mode = draw(API_MODES)
    number = draw(NUMBER if mode in ("intact", "damaged") else st.one_of(NUMBER, TEXT))
    data, members = _valid_rows(number)
    body = {**data, "village": VILLAGE, "members": members, "confirm_warnings": draw(st.booleans())}
    if mode == "damaged":
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                body[draw(st.sampled_from([*HOUSEHOLD_FIELDS, "village"]))] = draw(TEXT)
            else:
                draw(st.sampled_from(members))[draw(st.sampled_from(MEMBER_FIELDS))] = draw(TEXT)
    elif mode == "random":
        body["members"] = [
            {
                "row": draw(st.one_of(st.integers(-1, MAX_ROWS + 2), RAW)),
                **{k: draw(TEXT) for k in draw(st.lists(st.sampled_from(MEMBER_FIELDS), unique=True, max_size=8))},
            }
            for _ in range(draw(st.integers(0, 5)))
        ]
    elif mode == "shape":
        for _ in range(draw(st.integers(1, 3))):
            action = draw(st.sampled_from(["set", "drop", "extra", "member"]))
            if action == "set":
                body[draw(st.sampled_from([*HOUSEHOLD_FIELDS, "village", "members", "confirm_warnings"]))] = draw(RAW)
            elif action == "drop" and body:
                body.pop(draw(st.sampled_from(sorted(body))))
            elif action == "extra":
                body[draw(st.text(min_size=1, max_size=8))] = draw(RAW)
            elif action == "member" and isinstance(body.get("members"), list) and body["members"]:
                m = draw(st.sampled_from(body["members"]))
                m[draw(st.sampled_from([*MEMBER_FIELDS, "row", "extra"]))] = draw(RAW)
    return body


def _api_members(body) -> int:
    return len(body["members"])


def test_api_create_never_500_and_saves_whole_or_nothing(personas):
    client = login(Client(), personas["clerk"])

    @FUZZ
    @given(api_input())
    def run(body):
        before = _counts()
        resp = client.post("/api/registry/households", json.dumps(body), content_type="application/json")
        event(f"status {resp.status_code}")
        assert resp.status_code in (201, 404, 409, 422), (resp.status_code, resp.content[:300])
        after = _counts()
        if resp.status_code == 201:
            assert after[0] == before[0] + 1
            assert after[1] == before[1] + _api_members(body)
            assert Household.objects.get(pk=resp.json()["id"]).members.count() == _api_members(body)
        else:
            assert after == before
        if resp.status_code == 422 and "violations" in resp.json():
            assert all(v["rule"] for v in resp.json()["violations"])

    run()


def test_api_unparseable_bodies_are_refused(personas):
    client = login(Client(), personas["clerk"])

    @FUZZ
    @given(st.binary(max_size=200))
    def run(raw):
        resp = client.post("/api/registry/households", raw, content_type="application/json")
        assert resp.status_code in (400, 422)

    before = _counts()
    run()
    assert _counts() == before
