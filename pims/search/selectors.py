"""Reads for 信息查询: the person search, a person's family, saved queries.

Every search starts from `person_list_visible_to` (the jurisdiction rule of
the register) and only narrows it, so a result — and a result count — can
only ever be about persons of the user's own scope, whatever the conditions.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.utils.functional import cached_property

from pims.accounts.roles import Cap, has_capability
from pims.lib.names import has_han, pinyin_query
from pims.regions.models import Level, Region
from pims.regions.selectors import region_list_visible_to
from pims.registry.models import Birth, Contraception, Marriage, Person, PersonStatus, ResidenceStatus
from pims.registry.selectors import person_list_visible_to

from .models import SavedQuery

MARRIED = "married"  # 已婚 in any form: 20 已婚, 21 初婚, 22 再婚, 23 复婚
MARRIED_CODES = ("20", "21", "22", "23")
NO_CONTRACEPTION = "none"
CHILDBEARING_AGES = (15, 49)
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


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_q(low: int | None, high: int | None, today: dt.date) -> Q:
    """Age in completed years at `today` between low and high (inclusive)."""
    q = Q()
    if low is not None:
        q &= Q(birth_date__lte=years_before(today, low))
    if high is not None:
        q &= Q(birth_date__gt=years_before(today, high + 1))
    return q


def _name_q(text: str, mode: str, *, walk: bool = True) -> Q | None:
    """None when the text can match nobody (nothing searchable typed).
    `walk`: also state the pinyin range a sorted index walk needs (for wide
    scopes; see `_walks_pinyin_index`)."""
    if mode == "exact":
        return Q(name=text)
    if mode == "prefix":
        return Q(name__startswith=text)
    if mode in ("pinyin", "initials") or not has_han(text):
        typed = pinyin_query(text)
        if not typed:
            return None
        # Full pinyin and initials start with the same letter. Saying so as
        # a range lets PostgreSQL walk only that part of the pinyin index for
        # a page sorted by pinyin, instead of the whole index (initials
        # matches cluster under their first letter, which the planner cannot
        # know); see docs/benchmarks-search.md.
        if mode == "pinyin":
            q, first = Q(name_pinyin__startswith=typed), pinyin_range(typed)
        elif mode == "initials":
            q, first = Q(name_initials__startswith=typed), pinyin_range(typed[0])
        else:
            q, first = Q(name_pinyin__startswith=typed) | Q(name_initials__startswith=typed), pinyin_range(typed[0])
        return first & q if walk else q
    return Q(name__startswith=text)


def pinyin_range(prefix: str) -> Q:
    """`name_pinyin` starting with `prefix` as a range the ordinary index
    serves in sort order (PostgreSQL uses LIKE on it only under the plain C
    collation). Stored pinyin is [a-z0-9] only, for which the range is exact
    under any collation; callers keep the LIKE as well."""
    last = prefix[-1]
    if last.isascii() and (last.isdigit() and last != "9" or last.isalpha() and last != "z"):
        return Q(name_pinyin__gte=prefix, name_pinyin__lt=prefix[:-1] + chr(ord(last) + 1))
    return Q(name_pinyin__gte=prefix)


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


def _ordering(key: str, *, walk: bool) -> tuple:
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
    today = today or dt.date.today()
    if c.get("id_index"):
        qs = qs.filter(id_index=c["id_index"])
    walk = True
    if c.get("name"):
        walk = _walks_pinyin_index(user)
        q = _name_q(c["name"], c.get("name_mode") or "auto", walk=walk)
        if q is None:
            return qs.none()
        qs = qs.filter(q)
    if c.get("sex"):
        qs = qs.filter(sex=c["sex"])
    if c.get("birth_from"):
        qs = qs.filter(birth_date__gte=dt.date.fromisoformat(c["birth_from"]))
    if c.get("birth_to"):
        qs = qs.filter(birth_date__lte=dt.date.fromisoformat(c["birth_to"]))
    if c.get("age_min") is not None or c.get("age_max") is not None:
        qs = qs.filter(age_q(c.get("age_min"), c.get("age_max"), today))
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
        qs = qs.filter(age_q(*CHILDBEARING_AGES, today), sex="2")
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
    return qs.order_by(*_ordering(c.get("sort"), walk=walk))


COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts matches only up to COUNT_CAP: two initials at province level
    match hundreds of thousands of persons, and an exact count of them costs
    seconds while telling the clerk nothing more than "too many, add a
    condition". `capped` says there are more; pages stop at the cap."""

    @cached_property
    def _matches(self) -> int:
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._matches, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._matches > COUNT_CAP


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in completed years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def decorate(persons, today: dt.date | None = None) -> list[Person]:
    """A page of results with what a result row shows attached (`age`,
    `region_name`, `marital_name`): one query for region names, the code
    table from its cache."""
    from pims.codes.selectors import code_map

    today = today or dt.date.today()
    persons = list(persons)
    names = region_names(p.registered_code for p in persons)
    marital = code_map("marital_status")
    for p in persons:
        p.age = age_on(p.birth_date, today)
        p.region_name = names.get(p.registered_code, "")
        p.marital_name = marital.get(p.marital_status, p.marital_status)
    return persons


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
