import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pims.lib.dates import aged_q
from pims.registry.models import Contraception, Marriage, Person
from pims.search.forms import SearchForm
from pims.search.selectors import person_relatives, person_search

TODAY = dt.date(2026, 11, 29)
TOWNSHIP_A = {"张三", "李四", "张小明", "张小红", "曾三", "王芳", "单田芳"}


def names(user, today=TODAY, **data):
    form = SearchForm(data, user=user)
    assert form.is_valid(), form.errors
    return {p.name for p in person_search(user=user, criteria=form.criteria(), today=today)}


@pytest.fixture
def op(personas):
    return personas["operator"]


def test_no_condition_lists_the_whole_scope_only(world, op):
    assert names(op) == TOWNSHIP_A


def test_citizen_id_exact_through_the_blind_index_after_normalising(world, op):
    # 李四's number may end in X; typed lower-case, spaced or full-width it still matches.
    for who in ("张三", "李四"):
        number = world.ids[who]
        fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)
        spaced = f" {number[:6]} {number[6:14]} {number[14:]} "
        for typed in (number, number.lower(), spaced, fullwidth):
            assert names(op, citizen_id=typed) == {who}, typed


def test_citizen_id_criteria_hold_the_index_not_the_number(world, op):
    form = SearchForm({"citizen_id": world.ids["张三"]}, user=op)
    assert form.is_valid()
    criteria = form.criteria()
    assert world.ids["张三"] not in repr(criteria)
    assert criteria["id_index"] == world["张三"].id_index


def test_malformed_citizen_id_is_refused_without_echo(world, op):
    bad = world.ids["张三"][:-1] + ("1" if world.ids["张三"][-1] != "1" else "2")
    form = SearchForm({"citizen_id": bad}, user=op)
    assert not form.is_valid()
    assert bad not in str(form.errors)


def test_citizen_id_is_refused_on_get_forms(world, op):
    form = SearchForm({"citizen_id": world.ids["张三"]}, user=op, allow_citizen_id=False)
    assert not form.is_valid()


NAME_CASES = [
    ("张三", "exact", {"张三"}),
    ("张", "exact", set()),
    ("张", "prefix", {"张三", "张小明", "张小红"}),
    ("张", "", {"张三", "张小明", "张小红"}),
    ("zs", "", {"张三", "曾三"}),  # pinyin initials; 曾 read as zeng
    ("ZS", "initials", {"张三", "曾三"}),
    ("zx", "initials", {"张小明", "张小红"}),
    ("zhangsan", "", {"张三"}),
    ("zengsan", "pinyin", {"曾三"}),
    ("Zeng San", "", {"曾三"}),
    ("shantian", "", {"单田芳"}),  # 单 read as shan
    ("stf", "", {"单田芳"}),
    ("zhang", "pinyin", {"张三", "张小明", "张小红"}),
    ("zs", "pinyin", set()),
]


def test_name_exact_prefix_pinyin_and_initials(world, op):
    wrong = [
        (n, m, names(op, name=n, name_mode=m), exp) for n, m, exp in NAME_CASES if names(op, name=n, name_mode=m) != exp
    ]
    assert wrong == []


def test_sex(world, op):
    assert names(op, sex="2") == {"李四", "张小红", "王芳"}


def test_birth_date_range(world, op):
    assert names(op, birth_from="1985-01-01", birth_to="1992-01-10") == {"张三", "李四", "王芳"}


def test_age_range_in_completed_years(world, op):
    # 张三 turns 41 on 2026-06-15; on 2026-06-14 he is still 40.
    assert names(op, age_min="41", age_max="41") == {"张三"}
    assert names(op, today=dt.date(2026, 6, 14), age_min="41", age_max="41") == set()
    assert names(op, today=dt.date(2026, 6, 15), age_min="41", age_max="41") == {"张三"}
    assert names(op, age_max="14") == {"张小明", "张小红"}


def test_no_age_bounds_filter_nobody_out():
    assert aged_q(TODAY).children == []


def test_region_subtree(world, op, regions):
    assert names(op, region=regions["village_a2"].code) == {"曾三", "王芳", "单田芳"}
    # 单田芳 lives in village A1 (户在人不在): found there by residence, not by registration.
    assert names(op, region=regions["village_a1"].code, region_basis="residence") >= {"单田芳"}
    assert "单田芳" not in names(op, region=regions["village_a1"].code, region_basis="registered")


def test_region_outside_scope_is_refused(world, op, regions):
    form = SearchForm({"region": regions["village_b1"].code}, user=op)
    assert not form.is_valid()
    missing = SearchForm({"region": "210124101299"}, user=op)
    assert not missing.is_valid()
    assert form.errors["region"] == missing.errors["region"]


def test_region_criteria_cannot_widen_the_scope(world, op, regions):
    # A saved or forged criteria dict with a foreign region finds nobody.
    assert list(person_search(user=op, criteria={"region": regions["village_b1"].code})) == []
    assert list(person_search(user=op, criteria={"region": regions["county"].code})) == []


def test_status(world, op):
    world["单田芳"].status = "2"
    world["单田芳"].save(update_fields=["status"])
    assert names(op, status="2") == {"单田芳"}
    assert "单田芳" not in names(op, status="1")


def test_marital_status(world, op):
    assert names(op, marital="married") == {"张三", "李四", "曾三", "王芳"}
    assert names(op, marital="30") == {"单田芳"}
    assert names(op, marital="10") == {"张小明", "张小红"}


def test_residence_and_flow_status(world, op):
    assert names(op, residence_status="3") == {"单田芳"}
    assert names(op, flowing="on") == {"单田芳"}


def test_women_of_childbearing_age(world, op):
    assert names(op, childbearing="on") == {"李四", "王芳"}
    # 李四 (born 1988-04-02) is 49 until 2038-04-01 and 50 from 2038-04-02.
    assert names(op, today=dt.date(2038, 4, 1), childbearing="on") == {"李四", "王芳", "张小红"}
    assert names(op, today=dt.date(2038, 4, 2), childbearing="on") == {"王芳", "张小红"}


def test_contraceptive_method(world, op):
    assert names(op, contraception="03") == {"李四"}
    assert names(op, childbearing="on", contraception="none") == {"王芳"}
    # An ended spell is no method; 00 (未避孕) is none too.
    Contraception.objects.filter(woman=world["李四"]).update(end_date=dt.date(2026, 1, 1))
    assert names(op, childbearing="on", contraception="none") == {"李四", "王芳"}
    Contraception.objects.create(woman=world["王芳"], method="00", start_date=dt.date(2020, 1, 1))
    assert "王芳" in names(op, childbearing="on", contraception="none")


def test_household_size(world, op):
    assert names(op, household_size_min="4") == {"张三", "李四", "张小明", "张小红"}
    assert names(op, household_size_max="1") == {"单田芳"}
    assert names(op, household_size_min="2", household_size_max="2") == {"曾三", "王芳"}


def test_conditions_combine(world, op):
    # The browser journey's query: married women 15–49 without contraception.
    assert names(op, sex="2", marital="married", childbearing="on", contraception="none") == {"王芳"}


def test_sort_orders(world, op):
    for sort, first in [
        ("", "李四"),
        ("-name", "张小明"),
        ("birth_date", "单田芳"),
        ("-birth_date", "张小红"),
        ("region", "张三"),
    ]:
        form = SearchForm({"sort": sort}, user=op)
        assert form.is_valid()
        assert person_search(user=op, criteria=form.criteria(), today=TODAY).first().name == first, sort


def test_range_upper_below_lower_is_refused(world, op):
    assert not SearchForm({"age_min": "30", "age_max": "20"}, user=op).is_valid()


# --- the outsider -----------------------------------------------------------------


OUTSIDER_SEARCHES = [
    {},
    {"name": "张三"},
    {"name": "张", "name_mode": "prefix"},
    {"name": "zs"},
    {"name": "zhangsan", "name_mode": "pinyin"},
    {"name": "zengsan"},
    {"sex": "2", "marital": "married", "childbearing": "on", "contraception": "none"},
    {"household_size_min": "1"},
]


def test_outsider_finds_nobody_of_township_a_whatever_it_searches(world, personas):
    for data in OUTSIDER_SEARCHES:
        assert not (names(personas["outsider"], **data) & TOWNSHIP_A), data


def test_outsider_cannot_find_a_township_a_person_by_exact_citizen_id(world, personas):
    assert names(personas["outsider"], citizen_id=world.ids["张三"]) == set()
    assert names(personas["outsider"], citizen_id=world.ids["张三丰"]) == {"张三丰"}


def test_roles_without_personal_data_find_nobody(world, personas):
    for role in ("auditor", "sysadmin"):
        assert list(person_search(user=personas[role], criteria={})) == []


# --- relatives ----------------------------------------------------------------------


def test_relatives_of_a_person(world, op):
    rel = person_relatives(user=op, person=world["张三"])
    assert [r.person.name for r in rel["spouses"]] == ["李四"]
    assert [r.person.name for r in rel["children"]] == ["张小明", "张小红"]
    child = person_relatives(user=op, person=world["张小明"])
    assert {(r.relation, r.person.name) for r in child["parents"]} == {("父亲", "张三"), ("母亲", "李四")}


def test_relative_outside_scope_is_hidden(world, op):
    # A marriage across townships (as the events app will record one).
    Marriage.objects.create(husband=world["单田芳"], wife=world["赵敏"], date=dt.date(2020, 1, 1))
    rel = person_relatives(user=op, person=world["单田芳"])
    assert len(rel["spouses"]) == 1 and rel["spouses"][0].person is None


# --- query counts -----------------------------------------------------------------


def test_query_count_does_not_grow_with_the_page(world, op, personas, regions, django_assert_max_num_queries):
    from pims.search.selectors import decorate
    from pims.search.tests.conftest import member, save_household

    def run():
        with CaptureQueriesContext(connection) as ctx:
            qs = person_search(user=op, criteria={"sex": "1"}).select_related("household")
            rows = decorate(qs[:50])
            [(p.household.number, p.region_name, p.marital_name) for p in rows]
        return len(ctx.captured_queries), len(rows)

    before, n_before = run()
    for i in range(5):
        save_household(
            op, regions["village_a1"], f"01{i:02d}", [member(1, "李" + "一二三四五"[i], "1", "1970-01-01", "02", "10")]
        )
    after, n_after = run()
    assert n_after == n_before + 5
    assert after == before
    with django_assert_max_num_queries(3):
        run()


@given(
    stored=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=12),
    typed=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=4),
)
def test_pinyin_range_is_exactly_the_prefix(stored, typed):
    """The range handed to the index selects the same stored pinyin as the
    prefix it stands for (stored pinyin is [a-z0-9] only)."""
    from pims.search.selectors import pinyin_range

    bounds = dict(pinyin_range(typed).children)
    inside = stored >= bounds["name_pinyin__gte"] and stored < bounds.get("name_pinyin__lt", "\U0010ffff")
    # Without an upper bound (the prefix ends in z or 9) the LIKE kept beside it decides.
    if "name_pinyin__lt" in bounds:
        assert inside == stored.startswith(typed)
    else:
        assert inside or not stored.startswith(typed)


# --- name search through the scope's own code columns -----------------------------

GRID_CODES = {
    "township": "210124101201",  # township A (the operator's)
    "county": "210124102200",  # township B: the county admin's, not the operator's
    "city": "210102001001",  # another county of the city
    "away": "330106001001",  # another province
}
GRID_NAMES = ["李远", "李远航", "刘洋", "罗毅", "吕岩", "张三"]  # ly, lyh, ly, ly, ly (lv yan), zs


@pytest.fixture
def code_grid(world, regions):
    """One person for every combination of where the three scope codes
    point (responsible, registered, residence), each with one of a few names
    whose pinyin or initials start alike — the cases the search spreads over
    its per-column index terms (`_name_q`)."""
    from itertools import product

    from pims.lib.names import name_pinyin

    template = world["张三"]
    made = []
    for i, (resp, reg, res) in enumerate(product(GRID_CODES, repeat=3)):
        p = Person.objects.get(pk=template.pk)
        p.pk, p.uuid, p.id_index, p.row = None, uuid.uuid4(), None, 100 + i  # a copy is a new record
        p.name = GRID_NAMES[i % len(GRID_NAMES)]
        p.name_pinyin, p.name_initials = name_pinyin(p.name)
        p.responsible_code, p.registered_code, p.residence_code = GRID_CODES[resp], GRID_CODES[reg], GRID_CODES[res]
        p.save()
        made.append(p)
    return made


def _visible_to(user, p) -> bool:
    prefix = user.region.prefix
    return any(code.startswith(prefix) for code in (p.responsible_code, p.registered_code, p.residence_code))


@pytest.mark.parametrize("who", ["operator", "county", "outsider", "city"])
@pytest.mark.parametrize(("typed", "mode"), [("ly", ""), ("ly", "initials"), ("lyh", ""), ("li", "pinyin"), ("l", "")])
def test_pinyin_search_keeps_every_person_of_the_scope_and_no_other(code_grid, personas, regions, who, typed, mode):
    from pims.accounts.roles import Role
    from pims.testing.fixtures import make_user

    user = personas.get(who) or make_user("city_viewer", Role.CITY_VIEWER, regions["city"])
    typed_q = typed.lower()
    everyone = Person.objects.all()
    expected = {
        p.pk
        for p in everyone
        if _visible_to(user, p)
        and (
            (mode in ("", "pinyin") and p.name_pinyin.startswith(typed_q))
            or (mode in ("", "initials") and p.name_initials.startswith(typed_q))
        )
    }
    form = SearchForm({"name": typed, "name_mode": mode}, user=user)
    assert form.is_valid(), form.errors
    found = set(person_search(user=user, criteria=form.criteria(), today=TODAY).values_list("pk", flat=True))
    assert found == expected
    assert found & {p.pk for p in code_grid}  # the grid is really searched


def test_a_capped_page_walks_the_pinyin_range_and_lists_the_same_persons(code_grid, personas, regions, monkeypatch):
    from pims.accounts.roles import Role
    from pims.search import selectors
    from pims.testing.fixtures import make_user

    city = make_user("city_viewer", Role.CITY_VIEWER, regions["city"])
    criteria = {"name": "ly"}
    walk = selectors.page_walk(user=city, criteria=criteria)
    assert walk is not None
    assert selectors.page_walk(user=personas["county"], criteria=criteria) is None  # narrow scopes: index terms
    assert selectors.page_walk(user=city, criteria={**criteria, "sort": "birth_date"}) is None

    qs = person_search(user=city, criteria=criteria, today=TODAY)
    everyone = [p.pk for p in qs]
    # Counted arm by arm (pinyin, initials), the union is the plain count.
    assert selectors.CappedPaginator(qs, 2, walk=walk).count == len(everyone) > 3
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    paginator = selectors.CappedPaginator(qs, 2, walk=walk)
    assert paginator.capped and paginator.count == 3
    pages = [list(paginator.page(n).object_list) for n in (1, 2)]
    assert [p.pk for page in pages for p in page] == everyone[:3]
