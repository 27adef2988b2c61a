"""Reads for 信息查询: the person search, a person's family, saved queries.

Every search starts from `person_list_visible_to` (the jurisdiction rule of
the register) and only narrows it, so a result — and a result count — can
only ever be about persons of the user's own scope, whatever the conditions.
"""

import datetime as dt
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Left, Lower
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils.functional import cached_property

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.lib.dates import age_on, aged_q
from pims.lib.names import has_han, pinyin_query
from pims.params.policy import childbearing_ages
from pims.regions.models import Level, Region
from pims.regions.scope import user_prefix
from pims.regions.selectors import region_list_visible_to
from pims.registry import reproductive
from pims.registry.models import Birth, Contraception, Marriage, Person, PersonStatus, ResidenceStatus
from pims.registry.selectors import PERSON_SCOPE_FIELDS, person_list_visible_to, person_scope_arms

from .models import SavedQuery

MARRIED = "married"  # 已婚 in any form: 20 已婚, 21 初婚, 22 再婚, 23 复婚
MARRIED_CODES = ("20", "21", "22", "23")
NO_CONTRACEPTION = "none"
COUNTY_DIGITS = 6  # a code's county part: the leading key of the name search indexes
NO_CONTRACEPTION_CODE = "00"

ORDERINGS = {
    "name": ("name_pinyin", "name", "pk"),
    "-name": ("-name_pinyin", "-name", "-pk"),
    "birth_date": ("birth_date", "pk"),
    "-birth_date": ("-birth_date", "-pk"),
    "region": ("registered_code", "household_id", "row", "pk"),
    "-region": ("-registered_code", "-household_id", "-row", "-pk"),
}
REGION_FIELDS = {
    "registered": ("registered_code",),
    "residence": ("residence_code",),
    "responsible": ("responsible_code",),
    "any": ("registered_code", "residence_code", "responsible_code"),
}


@dataclass(frozen=True)
class NameMatch:
    """A name condition as its OR-ed arms. `walks`: for arms on the pinyin
    columns, each arm again as ranges an index on (name_pinyin,
    name_initials) can walk in pinyin order, checking the initials inside the
    index (full pinyin and initials start with the same letter)."""

    arms: tuple[Q, ...]
    walks: tuple[Q, ...] = ()

    @property
    def pinyin(self) -> bool:
        return bool(self.walks)

    def q(self) -> Q:
        q = Q()
        for arm in self.arms:
            q |= arm
        return q


def _name_match(text: str, mode: str) -> NameMatch | None:
    """None when the text can match nobody (nothing searchable typed)."""
    if mode == "exact":
        return NameMatch((Q(name=text),))
    if mode == "prefix":
        return NameMatch((Q(name__startswith=text),))
    if mode in ("pinyin", "initials") or not has_han(text):
        typed = pinyin_query(text)
        if not typed:
            return None
        full = Q(name_pinyin__startswith=typed)
        full_walk = full & pinyin_range(typed)
        initials = Q(name_initials__startswith=typed)
        initials_walk = initials & pinyin_range(typed[0]) & prefix_range("name_initials", typed)
        if mode == "pinyin":
            return NameMatch((full,), (full_walk,))
        if mode == "initials":
            return NameMatch((initials,), (initials_walk,))
        return NameMatch((full, initials), (full_walk, initials_walk))
    return NameMatch((Q(name__startswith=text),))


def _name_q(user, match: NameMatch) -> Q:
    """The name condition in the form the user's scope searches fastest.

    City and province scopes search it as it is; a capped page of theirs
    walks a pinyin range (`page_walk`).

    County-or-smaller scopes search pinyin and initials as scope ∧ name
    distributed into one term per (scope column, name column), each with the
    county part of the code as an equality: every term is one range of a
    composite index (county code, pinyin or initials, code) — registry
    migration 0005 — so a township's `ly` is a few hundred index entries
    instead of the register-wide 250,000 of the initials index intersected
    with the township. The terms only narrow the jurisdiction rule the
    queryset already applies. docs/benchmarks-search.md has the plans."""
    prefix = user_prefix(user) or ""
    if not match.pinyin or len(prefix) < COUNTY_DIGITS:
        return match.q()
    county = prefix[:COUNTY_DIGITS]
    q = Q()
    for field, scope_arm in zip(PERSON_SCOPE_FIELDS, person_scope_arms(user), strict=True):
        in_county = Q(Exact(Left(field, COUNTY_DIGITS), Value(county)))
        for arm in match.arms:
            q |= scope_arm & in_county & arm
    return q


def pinyin_range(prefix: str) -> Q:
    return prefix_range("name_pinyin", prefix)


def prefix_range(field: str, prefix: str) -> Q:
    """`field` starting with `prefix` as a range the ordinary index serves
    in sort order (PostgreSQL uses LIKE on it only under the plain C
    collation). Stored pinyin and initials are [a-z0-9] only, for which the
    range is exact under any collation; callers keep the LIKE as well."""
    last = prefix[-1]
    if last.isascii() and (last.isdigit() and last != "9" or last.isalpha() and last != "z"):
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + chr(ord(last) + 1)})
    return Q(**{f"{field}__gte": prefix})


WIDE_SCOPE_LEVELS = (Level.CITY, Level.PROVINCE)


def _walks_pinyin_index(user) -> bool:
    """How a name search fills its first page, sorted by pinyin. A city or
    province scope holds most persons, so walking the pinyin index in order
    finds 50 matches at once. A county or smaller scope holds a few percent
    of a province's register: the walk would pass hundreds of thousands of
    other counties' persons (seconds at 10M), while the scope's own matches
    (found through the code and name indexes together) are few enough to
    sort (docs/benchmarks-search.md)."""
    return user.region.level in WIDE_SCOPE_LEVELS


@dataclass(frozen=True)
class PageWalk:
    """How a capped page is read: each arm of the name condition walked
    in an order an index provides, the arms merged."""

    arms: tuple[Q, ...]
    ordering: tuple
    matches: tuple[Q, ...]  # the arms as the name condition states them (for the count)

    def key(self, person):
        """The ordering in Python (pinyin is stored lower case; `name` ties
        compare by code point as under the C and C.UTF-8 collations)."""
        return tuple(getattr(person, f.lstrip("-")) for f in self.ordering)

    @property
    def descending(self) -> bool:
        return self.ordering[0].startswith("-")


def page_walk(*, user, criteria: dict) -> PageWalk | None:
    """For a city or province scope with a pinyin or initials condition: a
    page of many matches sorted by pinyin is found fastest by walking the
    pinyin index in order over the range the matches lie in (those of `ly`
    cluster under `l`, which the planner cannot know), one arm at a time so
    that the initials are checked inside the index (person_pinyin_walk); a
    page of few matches is found fastest through the name indexes and
    sorted. The count tells which: CappedPaginator walks only for a capped
    result. The count never gets the ranges — PostgreSQL would intersect
    the bitmap of a million-entry range with a few thousand matches.
    docs/benchmarks-search.md has the plans."""
    c = criteria or {}
    if not c.get("name") or c.get("sort") not in (None, "", "name", "-name") or not _walks_pinyin_index(user):
        return None
    match = _name_match(c["name"], c.get("name_mode") or "auto")
    if match is None or not match.pinyin:
        return None
    return PageWalk(match.walks, _ordering(c.get("sort"), walk=True), match.arms)


def _ordering(key: str | None, *, walk: bool) -> tuple:
    keys = ORDERINGS.get(key or "name", ORDERINGS["name"])
    if walk or keys[0].lstrip("-") != "name_pinyin":
        return keys
    # The same order (pinyin is stored lower case) through an expression no
    # index provides, so the planner sorts the scope's matches.
    pinyin = Lower("name_pinyin")
    return (pinyin.desc() if keys[0].startswith("-") else pinyin.asc(), *keys[1:])


def household_size_expr():
    """Active members of the person's household."""
    members = (
        Person.objects.filter(household=OuterRef("household"), status=PersonStatus.ACTIVE)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), Value(0))


def person_search(*, user, criteria: dict, today: dt.date | None = None) -> QuerySet[Person]:
    """Persons visible to `user` matching `criteria` (SearchForm.criteria()),
    in the requested order. Conditions combine with AND."""
    qs = person_list_visible_to(user=user)
    c = criteria or {}
    today = today or clock.today()
    if c.get("id_index"):
        qs = qs.filter(id_index=c["id_index"])
    # A name search is sorted so that no index provides the order: an
    # unbounded walk of the pinyin index took 13 s for a rare pinyin at 10M.
    # A capped page walks a bounded range instead (page_walk).
    index_order = not c.get("name")
    if c.get("name"):
        match = _name_match(c["name"], c.get("name_mode") or "auto")
        if match is None:
            return qs.none()
        qs = qs.filter(_name_q(user, match))
    if c.get("sex"):
        qs = qs.filter(sex=c["sex"])
    if c.get("birth_from"):
        qs = qs.filter(birth_date__gte=dt.date.fromisoformat(c["birth_from"]))
    if c.get("birth_to"):
        qs = qs.filter(birth_date__lte=dt.date.fromisoformat(c["birth_to"]))
    if c.get("age_min") is not None or c.get("age_max") is not None:
        qs = qs.filter(aged_q(today, c.get("age_min"), c.get("age_max")))
    if c.get("region"):
        region = region_list_visible_to(user=user).filter(code=c["region"]).first()
        if region is None:
            return qs.none()
        region_q = Q()
        for f in REGION_FIELDS[c.get("region_basis") or "any"]:
            region_q |= Q(**{f"{f}__startswith": region.prefix})
        qs = qs.filter(region_q)
    if c.get("status"):
        qs = qs.filter(status=c["status"])
    if c.get("marital") == MARRIED:
        qs = qs.filter(marital_status__in=MARRIED_CODES)
    elif c.get("marital"):
        qs = qs.filter(marital_status=c["marital"])
    if c.get("residence_status"):
        qs = qs.filter(residence_status=c["residence_status"])
    if c.get("flowing"):
        qs = qs.filter(residence_status__in=(ResidenceStatus.AWAY, ResidenceStatus.ABSENT))
    if c.get("childbearing"):
        qs = qs.filter(aged_q(today, *childbearing_ages(today)), sex="2")
    if c.get("contraception") and not reproductive.can_view(user):
        return qs.none()  # a saved query of a role that lost the capability (the form refuses it)
    if c.get("contraception"):
        open_spells = Contraception.objects.filter(woman=OuterRef("pk"), end_date__isnull=True)
        if c["contraception"] == NO_CONTRACEPTION:
            # "None" = no open spell with an actual method (00 is 未避孕).
            qs = qs.filter(~Exists(open_spells.exclude(method=NO_CONTRACEPTION_CODE)))
        else:
            qs = qs.filter(Exists(open_spells.filter(method=c["contraception"])))
    if c.get("household_size_min") is not None or c.get("household_size_max") is not None:
        qs = qs.annotate(household_size=household_size_expr())
        if c.get("household_size_min") is not None:
            qs = qs.filter(household_size__gte=c["household_size_min"])
        if c.get("household_size_max") is not None:
            qs = qs.filter(household_size__lte=c["household_size_max"])
    return qs.order_by(*_ordering(c.get("sort"), walk=index_order))


COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts matches only up to COUNT_CAP: two initials at province level
    match hundreds of thousands of persons, and an exact count of them costs
    seconds while telling the clerk nothing more than "too many, add a
    condition". `capped` says there are more; pages stop at the cap.
    `walk`: the range and index order the page (not the count) uses when the
    result is capped (`page_walk`): the same rows in the same order."""

    def __init__(self, object_list: QuerySet[Person], per_page, *, walk: PageWalk | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list  # object_list as the queryset it is (the base class types it loosely)
        self.walk = walk

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:  # as Paginator.page: the last page ends at the (capped) count
            top = self.count
        if self.walk is not None and self.capped:
            return self._get_page(self._walked(self.walk, bottom, top), number, self)
        return self._get_page(self.object_list[bottom:top], number, self)

    def _walked(self, walk: PageWalk, bottom: int, top: int) -> list:
        """The rows bottom..top of the merged arms (each read up to `top`)."""
        found = {}
        with transaction.atomic(), _index_order_only():
            for arm in walk.arms:
                for person in self.queryset.filter(arm).order_by(*walk.ordering)[:top]:
                    found[person.pk] = person
        return sorted(found.values(), key=walk.key, reverse=walk.descending)[bottom:top]

    @cached_property
    def _matches(self) -> int:
        # Without the page's joins (select_related): they cannot change the count.
        matches = self.queryset.select_related(None).prefetch_related(None).order_by()
        if self.walk is None:
            return matches[: COUNT_CAP + 1].count()
        return self._walked_count(self.walk, matches)

    def _walked_count(self, walk: PageWalk, matches: QuerySet[Person]) -> int:
        """A city or province name search counts arm by arm, stopping at the
        cap: the keys of each arm come from its pattern index alone (it
        includes the three scope codes), where a bitmap of the register-wide
        250,000 `ly` entries plus 10,001 row reads took 60–130 ms. The union
        of the arms' keys is the count."""
        seen: set[int] = set()
        with transaction.atomic(), _index_order_only():
            for arm in walk.matches:
                seen.update(matches.filter(arm).values_list("pk", flat=True)[: COUNT_CAP + 1])
                if len(seen) > COUNT_CAP:
                    break
        return len(seen)

    @cached_property
    def count(self) -> int:
        return min(self._matches, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._matches > COUNT_CAP


@contextmanager
def _index_order_only():
    """Within the caller's transaction, PostgreSQL reads the search's rows
    only in an index's order, without JIT (nothing elsewhere). The arm of a
    capped walk has many matches, but the planner multiplies the
    selectivities of the pinyin range, the initials range and the search's
    own name condition as if independent (they are not: the initials of `ly`
    all lie under `l`) and estimates a handful of rows — then sorts 250,000
    of them (0.9 s) instead of walking to the first 50 (13 ms). JIT compiled
    a 10 ms statement for 10–27 ms."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
    yield


def search_paginator(*, user, criteria: dict, per_page: int) -> CappedPaginator:
    """The result pages of a search as the page and the API show them: the
    capped count, a walked page where it pays (`page_walk`), and only the
    page's households (a join would be made for every match before the sort
    picks the page)."""
    qs = person_search(user=user, criteria=criteria).prefetch_related("household")
    return CappedPaginator(qs, per_page, walk=page_walk(user=user, criteria=criteria))


def decorate(persons: Iterable[Person], today: dt.date | None = None) -> list[Any]:
    """A page of results with what a result row shows attached (`age`,
    `region_name`, `marital_name`): one query for region names, the code
    table from its cache. The persons come back as Any: typing has no
    "Person with these attributes" (they are set on the instances)."""
    from pims.codes.selectors import code_map

    today = today or clock.today()
    rows: list[Any] = list(persons)
    names = region_names(p.registered_code for p in rows)
    marital = code_map("marital_status")
    for p in rows:
        p.age = age_on(p.birth_date, today)
        p.region_name = names.get(p.registered_code, "")
        p.marital_name = marital.get(p.marital_status, p.marital_status)
    return rows


def region_names(codes) -> dict[str, str]:
    """code → name for the codes on one page (one query)."""
    codes = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


# --- a person's family ------------------------------------------------------------


@dataclass
class Relative:
    relation: str
    person: Person | None  # None: outside the user's scope — nothing about them is shown


def person_relatives(*, user, person: Person) -> dict[str, list[Relative]]:
    """The current spouse, the parents and the children of a person the user
    may see. A relative outside the user's scope is returned without the
    person (the page shows 辖区外 and no link). Four queries."""
    marriages = Marriage.objects.filter(Q(husband=person) | Q(wife=person), end_date__isnull=True).select_related(
        "husband", "wife"
    )
    spouses = [m.wife if m.husband_id == person.pk else m.husband for m in marriages]
    parents = []
    birth = Birth.objects.filter(child=person).select_related("mother", "father").first()
    if birth is not None:
        parents = [("父亲", birth.father), ("母亲", birth.mother)]
    children = [
        b.child
        for b in Birth.objects.filter(Q(mother=person) | Q(father=person))
        .select_related("child")
        .order_by("child__birth_date", "child_id")
    ]
    everyone = [p for p in spouses + children if p] + [p for _, p in parents if p]
    visible = set(
        person_list_visible_to(user=user).filter(pk__in=[p.pk for p in everyone]).values_list("pk", flat=True)
    )

    def rel(label, p):
        return Relative(label, p if p.pk in visible else None)

    return {
        "spouses": [rel("配偶", p) for p in spouses],
        "parents": [rel(label, p) for label, p in parents if p is not None],
        "children": [rel("子女", p) for p in children],
    }


# --- saved queries ----------------------------------------------------------------


def saved_query_list_visible_to(*, user) -> QuerySet[SavedQuery]:
    """A user's own saved queries; nobody sees anyone else's."""
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return SavedQuery.objects.none()
    return SavedQuery.objects.filter(owner=user).order_by("name", "pk")


def access_saved_query(user, pk) -> SavedQuery:
    """404 for missing and for someone else's alike."""
    try:
        return saved_query_list_visible_to(user=user).get(pk=pk)
    except (SavedQuery.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the person page ------------------------------------------------------------------

PERSON_CODE_FIELDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "education": "education",
    "occupation": "occupation",
    "marital_status": "marital_status",
    "relationship": "family_relationship",
    "hukou_type": "household_registration_type",
    "no_id_reason": "no_id_reason",
}


def person_code_names(person: Person) -> dict[str, str]:
    """field → the code's name in the current code manual, in one query."""
    from pims.codes.models import Code

    q = Q()
    wanted = {}
    for field_name, table in PERSON_CODE_FIELDS.items():
        value = getattr(person, field_name)
        if value:
            q |= Q(version__table__key=table, code=value)
            wanted[(table, value)] = field_name
    if not wanted:
        return {}
    rows = Code.objects.filter(q, version__is_current=True).values_list("version__table__key", "code", "name")
    return {wanted[(t, c)]: name for t, c, name in rows if (t, c) in wanted}
