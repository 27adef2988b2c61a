"""What the event form shows for an event type: one input per item, with the
choices the user may pick (persons and households of the report's region,
codes of the code manual). Rendering only; reading the POST back is
`forms.parse_event`'s job."""

from dataclasses import dataclass, field

from django.db.models import Q

from pims.codes.selectors import current_codes
from pims.regions.models import Level, Region
from pims.registry.models import Household, PersonStatus
from pims.registry.selectors import household_list_visible_to, person_list_visible_to

from .handlers import handler_for

MAX_CHOICES = 3000


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


def _persons(user, report):
    prefix = report.region.prefix
    qs = (
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
    return [(p.pk, f"{p.name}（{p.household.number} 户，{p.id_masked or p.birth_date}）") for p in qs[:MAX_CHOICES]]


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
    handler = handler_for(event_type)
    persons = _persons(user, report)
    out = [Widget("effective_date", "发生日期", "date", True, "婴儿出生、死亡、迁移等实际发生的日期")]
    if handler.PERSON:
        out.append(Widget("person", handler.PERSON, "select", not getattr(handler, "PERSON_OPTIONAL", False),
                          choices=persons))  # fmt: skip
    if handler.RELATED:
        out.append(Widget("related_person", handler.RELATED, "select", False, "本辖区人员在此选择", persons))
        if handler.PERSON:  # a spouse from another jurisdiction is named by ID number
            out.append(Widget("related_citizen_id", f"{handler.RELATED}公民身份号码", "text", False,
                              "外辖区人员填写公民身份号码"))  # fmt: skip
    if handler.HOUSEHOLD:
        out.append(Widget("household", handler.HOUSEHOLD, "select", False, choices=_households(user, report)))
    if getattr(handler, "TARGET", None):
        required = handler.TARGET_REQUIRED
        out.append(Widget("supersedes", handler.TARGET, "text", required, "在变更单或人员变动记录中可查到事件编号"))
    for spec in handler.FIELDS:
        out.append(_widget(spec, user, report, handler, persons, values))
    for w in out:
        raw = values.get(w.name, "")
        w.value = "" if isinstance(raw, list) else str(raw)
    return out


def _widget(spec, user, report, handler, persons, values) -> Widget:
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
        w.kind, w.choices = "select", persons
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
    general = []
    for c in comments:
        key = (c.field or "").strip()
        target = next((w for w in widgets if key and key in (w.name, w.label)), None)
        (target.comments if target is not None else general).append(c)
    return general


def region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code
