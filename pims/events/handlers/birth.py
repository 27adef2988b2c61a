"""出生: creates the child in a household (the mother's unless another is
named), opens its registered and resident spells, records the birth with the
mother's birth order (孩次) and closes her open pregnancy as a live birth."""

import datetime as dt

from django.db.models import Min

from pims.lib.dates import age_on
from pims.registry.checks import limits
from pims.registry.models import Birth, Household

from ..models import Event, EventType, Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "出生"
PERSON = None
RELATED = "母亲"
HOUSEHOLD = "落户户（默认母亲所在户）"
FIELDS = [
    Field("name", "婴儿姓名"),
    Field("sex", "性别", "code", table="sex"),
    Field("ethnicity", "民族", "code", required=False, table="ethnicity", help="默认随母亲"),
    Field("relationship", "与户主关系", "code", table="family_relationship"),
    Field("father_id", "父亲", "person", required=False, help="默认为母亲的现任丈夫"),
    Field("certificate_no", "出生医学证明编号", required=False),
    Field("residence_code", "现居住地区划", "region", required=False, help="默认为落户户所在村"),
    # A child born before the household's collection (baseline) date should
    # have been on the form: the filer chooses one of these two (rules E194–E196).
    Field(
        "add_to_collection",
        "补录到采集表（采集时已出生）",
        "bool",
        required=False,
        help="按采集基线计入（与本户其他成员同日开始），不计为本期出生",
    ),
    Field(
        "confirm_before_baseline",
        "已核实：采集以前出生，仍按出生登记",
        "bool",
        required=False,
        help="仅在婴儿确未登记在采集表、且须计为出生时勾选",
    ),
]

# Births before the collection: rules E194–E196 (the catalogue).


def baseline_date(household) -> dt.date | None:
    """The day the household's collection opened its members' spells (its
    baseline events), else the form's collection date; None if neither."""
    if household is None or household.pk is None:
        return None
    first = (
        Event.objects.filter(household_id=household.pk, event_type=EventType.BASELINE)
        .aggregate(day=Min("effective_date"))
        .get("day")
    )
    return first or household.collected_on


def _baseline_problem(event, household) -> str | None:
    p = event.payload or {}
    add, confirm = bool(p.get("add_to_collection")), bool(p.get("confirm_before_baseline"))
    if add and confirm:
        return refuse("E196")
    baseline = baseline_date(household)
    if baseline is None:
        return refuse("E195", day=event.effective_date, baseline="（无）") if add else None
    if event.effective_date < baseline:
        return None if add or confirm else refuse("E194", day=event.effective_date, baseline=baseline)
    return refuse("E195", day=event.effective_date, baseline=baseline) if add else None


def _household(event, state, mother):
    return state.household(event.household_id) or (mother.household if mother else None)


def validate(event, state) -> list[str]:
    errors: list[str] = []
    child_name = (event.payload or {}).get("name", "")
    mother = state.person(event.related_person_id)
    if mother is None:
        return [refuse("E21")]
    if mother.sex != "2":
        errors.append(refuse("E22", person=base.label(mother)))
    base.require_active(mother, errors, "母亲")
    if mother.birth_date >= event.effective_date:
        errors.append(limits.parent_older(name=child_name, parent="母亲"))
    elif found := limits.mother_age(
        name=child_name,
        age=age_on(mother.birth_date, event.effective_date),
        born=event.effective_date,
    ):
        errors.append(found)
    father = state.person((event.payload or {}).get("father_id"))
    if father is not None and father.sex != "1":
        errors.append(refuse("E23", person=base.label(father)))
    household = _household(event, state, mother)
    if household is None or household.status != Household.Status.ACTIVE:
        errors.append(refuse("E24"))
    elif problem := _baseline_problem(event, household):
        errors.append(problem)
    return errors


def apply(event, state) -> None:
    p = event.payload
    mother = state.person(event.related_person_id)
    household = _household(event, state, mother)
    day = event.effective_date
    residence = p.get("residence_code") or household.region_code
    child = base.new_person(
        {**p, "no_id_reason": "1"},
        household=household,
        state=state,
        birth_date=day,
        ethnicity=p.get("ethnicity") or mother.ethnicity,
        hukou_type=p.get("hukou_type") or mother.hukou_type,
        marital_status="10",
        registered_code=household.region_code,
        residence_code=residence,
        responsible_code=household.region_code,
    )
    child.residence_status = base._residence_status(child)
    father = state.person(p.get("father_id"))
    spouse = state.spouse(mother)
    if father is None and spouse is not None and spouse.sex == "1":
        father = spouse
    state.add_birth(
        Birth(
            child=child,
            mother=mother,
            father=father,
            birth_order=state.births_so_far(mother) + 1,
            certificate_no=p.get("certificate_no", ""),
        ),
        mother,
    )
    # Added to the collection: present from the household's baseline, counted
    # with the baseline, not as a birth of the period.
    collected = bool(p.get("add_to_collection")) and (baseline := baseline_date(household)) is not None
    start, reason = (baseline, Spell.Opened.BASELINE) if collected else (day, Spell.Opened.BIRTH)
    for kind, region in ((Spell.Kind.REGISTERED, household.region_code), (Spell.Kind.RESIDENT, residence)):
        state.open(child, kind, region=region, household=household, start=start, event=event, reason=reason)
    if state.pregnancy(mother) is not None:
        state.end_pregnancy(mother, outcome="1", date=day)
    event.person = child
    event.household = household
