"""Property tests: whatever arrives at the collection form or the API, the
answer is never a server error, and a household is stored whole (every
member) or not at all."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

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
TRICKY = st.sampled_from([
    "", " ", "0", "1", "2", "3", "01", "02", "10", "20", "21", "99", "-1", "1.5", "1e9", "9" * 30,
    "2012-03-08", "2099-01-01", "1900-02-30", "0000-00-00", "²", "١", "٣", "一", "NaN", "null", "None",
    "210124101200", "210124102200", "210124000000", "张三", "a\x00b", "\u202e", "<script>", "' OR 1=1 --",
])
TEXT = st.one_of(
    TRICKY,
    st.text(max_size=25),
    st.text(min_size=180, max_size=600),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
RAW = st.one_of(st.none(), st.integers(-(10**20), 10**20), st.booleans(), st.floats(allow_nan=False), TEXT,
                st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _counts():
    return (Household.objects.count(), Person.objects.count(), Birth.objects.count(), Marriage.objects.count())


def _valid_rows(number: str):
    data, members = family_form(VILLAGE, number=number)
    for m in members:  # keep the base household free of optional family records
        m.pop("contraceptive_method", None)
        m.pop("contraception_start", None)
    return data, members


@st.composite
def form_input(draw):
    """(household fields, {row: {field: text}}) — a valid household with
    random damage, or random rows from scratch."""
    number = draw(st.one_of(st.from_regex(r"\A[0-9A-Z]{1,8}\Z"), TEXT))
    data, members = _valid_rows(number)
    for f in HOUSEHOLD_FIELDS:
        if draw(st.integers(0, 4)) == 0:
            data[f] = draw(TEXT)
    rows = {}
    if draw(st.booleans()):
        # the valid family, renumbered and damaged
        for m in members:
            rows[m["row"]] = {k: str(v) for k, v in m.items() if k != "row"}
        for _ in range(draw(st.integers(0, 4))):
            row = draw(st.sampled_from(sorted(rows)))
            rows[row][draw(st.sampled_from(MEMBER_FIELDS))] = draw(TEXT)
    else:
        for row in draw(st.lists(st.integers(1, MAX_ROWS + 3), max_size=6, unique=True)):
            keys = draw(st.lists(st.sampled_from(MEMBER_FIELDS), max_size=len(MEMBER_FIELDS), unique=True))
            rows[row] = {k: draw(TEXT) for k in keys}
            for ref in ("spouse_row", "mother_row", "father_row"):
                if draw(st.booleans()):
                    rows[row][ref] = str(draw(st.integers(-2, MAX_ROWS + 2)))
    return data, rows


def _post_data(data, rows):
    post = {k: v for k, v in data.items()}
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


@st.composite
def api_input(draw):
    """A JSON body: a valid household with damage (possibly wrong types,
    missing or extra keys), or random members."""
    data, members = _valid_rows(draw(st.one_of(st.from_regex(r"\A[0-9A-Z]{1,8}\Z"), TEXT)))
    body = {**data, "village": VILLAGE, "members": members,
            "confirm_warnings": draw(st.one_of(st.booleans(), RAW))}
    if draw(st.booleans()):
        body["members"] = [
            {"row": draw(st.one_of(st.integers(-1, MAX_ROWS + 2), RAW)),
             **{k: draw(TEXT) for k in draw(st.lists(st.sampled_from(MEMBER_FIELDS), unique=True, max_size=8))}}
            for _ in range(draw(st.integers(0, 5)))
        ]
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["set", "drop", "extra", "member"]))
        if action == "set":
            body[draw(st.sampled_from([*HOUSEHOLD_FIELDS, "village", "members"]))] = draw(RAW)
        elif action == "drop" and body:
            body.pop(draw(st.sampled_from(sorted(body))))
        elif action == "extra":
            body[draw(st.text(min_size=1, max_size=8))] = draw(RAW)
        elif action == "member" and isinstance(body.get("members"), list) and body["members"]:
            m = draw(st.sampled_from(body["members"]))
            if isinstance(m, dict):
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
