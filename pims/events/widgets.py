"""What the event form shows for an event type: one input per item, with the
choices the user may pick (persons and households of the report's region,
codes of the code manual). Rendering only; reading the POST back is
`forms.parse_event`'s job."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from pims.codes.selectors import current_codes
from pims.lib import clock
from pims.params.policy import childbearing_ages, mother_age_limits
from pims.regions.models import Level, Region
from pims.registry.models import Household, PersonStatus
from pims.registry.selectors import household_list_visible_to, person_list_visible_to

from .handlers import handler_of

MAX_CHOICES = 3000
# A search answers at most this many persons.
SEARCH_LIMIT = 30


@dataclass(frozen=True)
class PersonFilter:
    """Who may plausibly fill a person item: a sex and an age range (in
    completed years today; from the parameter table)."""

    sex: str = ""
    min_age: int | None = None
    max_age: int | None = None

    def query(self) -> dict[str, str]:
        out = {"sex": self.sex, "min_age": self.min_age, "max_age": self.max_age}
        return {k: str(v) for k, v in out.items() if v not in ("", None)}


def _women_of_childbearing_age() -> PersonFilter:
    low, high = childbearing_ages(clock.today())
    return PersonFilter("2", low, high)


def _mothers() -> PersonFilter:
    low, high = mother_age_limits(clock.today())
    return PersonFilter("2", low, high)


# (event type, item) → the filter of its person picker; items not listed take anyone.
PERSON_FILTERS = {
    ("pregnancy", "person"): _women_of_childbearing_age,
    ("preg_outcome", "person"): lambda: PersonFilter("2"),
    ("contra_start", "person"): _women_of_childbearing_age,
    ("contra_change", "person"): _women_of_childbearing_age,
    ("contra_stop", "person"): _women_of_childbearing_age,
    ("birth", "related_person"): _mothers,
    ("birth", "father_id"): lambda: PersonFilter("1", childbearing_ages(clock.today())[0]),
}


# Items whose person must be of the other sex than the event's subject
# (the spouse of a marriage, divorce or remarriage).
SPOUSE_ITEMS = {("marriage", "related_person"), ("divorce", "related_person"), ("remarriage", "related_person")}
OTHER_SEX = {"1": "2", "2": "1"}


def spouse_filter(*, user, subject) -> PersonFilter:
    """The spouse picker's filter once the subject is known: the other sex."""
    pk = str(subject or "")
    if not pk.isdigit():
        return PersonFilter()
    sex = person_list_visible_to(user=user).filter(pk=int(pk)).values_list("sex", flat=True).first()
    return PersonFilter(OTHER_SEX.get(sex or "", ""))


def person_filter(event_type: str, item: str) -> PersonFilter:
    make = PERSON_FILTERS.get((event_type, item))
    return make() if make else PersonFilter()


def _born_between(f: PersonFilter) -> Q:
    """Persons whose age today lies in [min_age, max_age]."""
    today = clock.today()
    q = Q()
    if f.min_age is not None:
        q &= Q(birth_date__lte=_years_before(today, f.min_age))
    if f.max_age is not None:
        q &= Q(birth_date__gt=_years_before(today, f.max_age + 1))
    if f.sex:
        q &= Q(sex=f.sex)
    return q


def _years_before(day, years: int):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def person_search(*, user, report, text: str, f: PersonFilter) -> list[tuple[int, str]]:
    """Search-as-you-type over the report region's persons the user may see:
    by name (part), pinyin (full or initials) or the last digits of the ID
    number; filtered by the item's sex and age."""
    text = (text or "").strip()
    if not text:
        return []
    lowered = text.lower()
    match = Q(name__contains=text) | Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    if text.isdigit() or (text[:-1].isdigit() and text[-1:] in "Xx"):
        match |= Q(id_masked__endswith=text.upper())
    qs = _person_qs(user, report).filter(match, _born_between(f))
    return [_person_choice(p) for p in qs[:SEARCH_LIMIT]]


def _person_qs(user, report):
    prefix = report.region.prefix
    return (
        person_list_visible_to(user=user)
        .filter(
            Q(responsible_code__startswith=prefix)
            | Q(registered_code__startswith=prefix)
            | Q(residence_code__startswith=prefix),
            status=PersonStatus.ACTIVE,
        )
        .select_related("household")
        .order_by("household__region_code", "household__number", "row")
    )


def _person_choice(p) -> tuple[int, str]:
    return p.pk, f"{p.name}（{p.household.number} 户，{p.id_masked or p.birth_date}）"


def _sexed_choices(user, report, f: PersonFilter) -> list[tuple[int, str, str]]:
    qs = _person_qs(user, report).filter(_born_between(f))
    return [(*_person_choice(p), p.sex) for p in qs[:MAX_CHOICES]]


@dataclass
class Widget:
    name: str
    label: str
    kind: str  # select / text / date / checkbox / members / citizen_id
    required: bool = False
    help: str = ""
    choices: list[tuple] = field(default_factory=list)
    value: str = ""
    list_id: str = ""
    comments: list = field(default_factory=list)  # reviewers' comments on this item
    search_url: str = ""  # a person item: search-as-you-type (pims/static/js/person_search.js)
    # Person choices with each person's sex, (pk, label, sex): the spouse
    # picker and the subject it must differ from (`opposite_of`: that input's name).
    sexed: bool = False
    opposite_of: str = ""


def _persons(user, report, f: PersonFilter | None = None):
    qs = _person_qs(user, report)
    if f is not None:
        qs = qs.filter(_born_between(f))
    return [_person_choice(p) for p in qs[:MAX_CHOICES]]


def _households(user, report):
    qs = (
        household_list_visible_to(user=user)
        .filter(region_code__startswith=report.region.prefix, status=Household.Status.ACTIVE, form_state="approved")
        .select_related("head", "village")
        .order_by("region_code", "number")
    )
    return [
        (h.pk, f"{h.village.name} {h.number} 户（户主 {h.head.name if h.head else '—'}）") for h in qs[:MAX_CHOICES]
    ]


def villages_for(user) -> list[tuple[str, str]]:
    from pims.regions.selectors import region_list_visible_to

    qs = region_list_visible_to(user=user).filter(level=Level.VILLAGE, valid_to__isnull=True)
    return list(qs.values_list("code", "name"))


def event_widgets(*, user, report, event_type: str, values: dict) -> list[Widget]:
    handler = handler_of(event_type)  # the form's view takes known event types only
    everyone = _persons(user, report)

    def persons_for(item: str):
        f = person_filter(event_type, item)
        return (everyone if f == PersonFilter() else _persons(user, report, f)), _search_url(report, f)

    out = [Widget("effective_date", "发生日期", "date", True, "婴儿出生、死亡、迁移等实际发生的日期")]
    spouse = handler.RELATED and (event_type, "related_person") in SPOUSE_ITEMS
    if handler.PERSON:
        choices, url = persons_for("person")
        if spouse:
            choices = _sexed_choices(user, report, person_filter(event_type, "person"))
        out.append(
            Widget(
                "person",
                handler.PERSON,
                "select",
                not getattr(handler, "PERSON_OPTIONAL", False),
                choices=choices,
                search_url=url,
                sexed=bool(spouse),
            )
        )
    if spouse:
        out.append(_spouse_widget(user, report, handler, values))
    elif handler.RELATED:
        choices, url = persons_for("related_person")
        out.append(
            Widget("related_person", handler.RELATED, "select", False, "本辖区人员在此选择", choices, search_url=url)
        )
        if handler.PERSON:  # a spouse from another jurisdiction is named by ID number
            out.append(
                Widget(
                    "related_citizen_id", f"{handler.RELATED}公民身份号码", "text", False, "外辖区人员填写公民身份号码"
                )
            )
    if handler.HOUSEHOLD:
        out.append(Widget("household", handler.HOUSEHOLD, "select", False, choices=_households(user, report)))
    if getattr(handler, "TARGET", None):
        required = handler.TARGET_REQUIRED
        out.append(Widget("supersedes", handler.TARGET, "text", required, "在变更单或人员变动记录中可查到事件编号"))
    for spec in handler.FIELDS:
        out.append(_widget(spec, user, report, handler, persons_for, values))
    for w in out:
        raw = values.get(w.name, "")
        w.value = "" if isinstance(raw, list) else str(raw)
    return out


def _spouse_widget(user, report, handler, values) -> Widget:
    """The spouse: only persons of the other sex than the subject — filtered
    here when the subject is already chosen, in the browser as it is chosen
    (each choice carries its sex), and by the search (`opposite_of`)."""
    f = spouse_filter(user=user, subject=values.get("person"))
    return Widget(
        "related_person",
        handler.RELATED,
        "select",
        False,
        "本辖区人员在此选择（只列出与本人性别不同的人员）",
        _sexed_choices(user, report, f),
        search_url=_search_url(report, f),
        sexed=True,
        opposite_of="person",
    )


def _search_url(report, f: PersonFilter) -> str:
    url = reverse("events:report_person_search", args=[report.pk])
    query = f.query()
    return f"{url}?{urlencode(query)}" if query else url


def _widget(spec, user, report, handler, persons_for, values) -> Widget:
    w = Widget(spec.name, spec.label, "text", spec.required, spec.help)
    if spec.kind == "date":
        w.kind = "date"
    elif spec.kind == "code":
        w.kind = "select"
        w.choices = [(c.code, f"{c.code} {c.name}") for c in current_codes(spec.table)]
    elif spec.kind == "choice":
        w.kind = "select"
        w.choices = handler.CHOICES[spec.name]
    elif spec.kind == "person":
        w.kind = "select"
        w.choices, w.search_url = persons_for(spec.name)
    elif spec.kind == "household":
        w.kind, w.choices = "select", _households(user, report)
    elif spec.kind == "bool":
        w.kind = "checkbox"
    elif spec.kind in ("village", "region"):
        w.list_id = "villages"
    elif spec.kind == "members":
        w.kind = "members"
        household = values.get("household")
        members = (
            household_list_visible_to(user=user).filter(pk=household).first() if str(household).isdigit() else None
        )
        visible = person_list_visible_to(user=user).filter(status=PersonStatus.ACTIVE)
        w.choices = [(p.pk, p.name, p.relationship) for p in visible.filter(household=members)] if members else []
    return w


def attach_comments(widgets: list[Widget], comments) -> list:
    """Put each comment next to the item it names (by input name or label);
    return the comments on the event as a whole."""
    general: list = []
    for c in comments:
        key = (c.field or "").strip()
        target = next((w for w in widgets if key and key in (w.name, w.label)), None)
        (target.comments if target is not None else general).append(c)
    return general


def region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code
