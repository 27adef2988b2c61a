"""What handlers share: the payload field spec and the register rules several
event types need (a leaving head of household, moving a person's spells to
another household, the responsible-region seed rule).

Messages name the record (the engine prefixes the event number, type and
subject), the field and the rule, e.g. “死亡日期 2026-01-01 早于出生日期
2026-02-01（规则：死亡不能早于出生）”.
"""

import datetime as dt
from dataclasses import dataclass

from pims.lib import clock
from pims.lib.names import name_pinyin
from pims.registry.models import Household, Person, PersonStatus, ResidenceStatus

from ..models import Spell
from ..state import RegisterState
from .catalogue import refuse

HEAD = "02"
MARRIED = {"20", "21", "22", "23"}
UNMARRIED = {"10", "30", "40", "90"}


@dataclass(frozen=True)
class Field:
    """One payload item of an event type, as the form shows it.

    kind: text, date, code (with `table`), person, household, village,
    region (any 12-digit code), bool, citizen_id, members.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    table: str = ""
    help: str = ""


NEW_HEAD = Field("new_head_id", "新户主", "person", required=False, help="原户主离开本户且户内还有其他成员时必须指定")
NEW_PERSON_FIELDS = [
    Field("name", "姓名"),
    Field("citizen_id", "公民身份号码", "citizen_id", required=False),
    Field("sex", "性别", "code", table="sex"),
    Field("birth_date", "出生日期", "date"),
    Field("ethnicity", "民族", "code", table="ethnicity"),
    Field("marital_status", "婚姻状况", "code", table="marital_status"),
    Field("hukou_type", "户口类别", "code", table="household_registration_type"),
    Field("relationship", "与户主关系", "code", table="family_relationship"),
]
NEW_HOUSEHOLD_FIELDS = [
    Field("new_household_village", "新立户所在村", "village", required=False, help="不迁入已有户时填写"),
    Field("new_household_number", "新立户户编号", required=False),
    Field("new_household_address", "新立户住址", required=False),
]


def label(person: Person | None) -> str:
    return f"“{person.name}”" if person is not None else "“（未知人员）”"


# --- common checks ------------------------------------------------------------


def subject(event, state: RegisterState, errors: list[str], what: str = "当事人") -> Person | None:
    person = state.person(event.person_id)
    if person is None:
        errors.append(refuse("E04", what=what))
    return person


def require_active(person: Person, errors: list[str], what: str = "") -> bool:
    if person.status != PersonStatus.ACTIVE:
        errors.append(refuse("E05", what=what, person=label(person), status=person.get_status_display()))
        return False
    return True


def check_date(event, person: Person, state: RegisterState, errors: list[str], field: str = "发生日期") -> None:
    """The event may not predate the person's birth nor their latest change
    (the start of an open spell, the end of a closed one): the register is
    not rewritten backwards, so spells never overlap."""
    day = event.effective_date
    if day < person.birth_date:
        errors.append(refuse("E06", field=field, day=day, person=label(person), birth_date=person.birth_date))
        return
    last = state.last_change(person)
    if last is not None and day < last:
        errors.append(refuse("E07", field=field, day=day, person=label(person), last=last))


def is_head(household: Household, person: Person) -> bool:
    cached = household._state.fields_cache.get("head")
    if cached is not None:
        return cached is person or (person.pk is not None and cached.pk == person.pk)
    return person.pk is not None and household.head_id == person.pk


def registered_with_household(person: Person, state: RegisterState) -> bool:
    """Whether the person's hukou is in their household (not a migrant who
    lives in it): their open registered spell is in the household's region."""
    spell = state.open_spell(person, Spell.Kind.REGISTERED)
    return spell is not None and person.household is not None and spell.region_code == person.household.region_code


# --- head of household --------------------------------------------------------


def head_leaving_errors(event, state: RegisterState, household: Household, leavers: list[Person]) -> list[str]:
    """A head who leaves a household that keeps members forces choosing a new
    head among those who stay (payload `new_head_id`)."""
    head = next((p for p in leavers if is_head(household, p)), None)
    if head is None:
        return []
    staying = [m for m in state.members(household) if m not in leavers]
    if not staying:
        return []
    new_head = state.person((event.payload or {}).get("new_head_id"))
    if new_head is None:
        return [refuse("E08", person=label(head), staying=len(staying))]
    if new_head not in staying:
        return [refuse("E09", person=label(new_head))]
    return []


def apply_leaving(event, state: RegisterState, household: Household, leavers: list[Person]) -> None:
    """After `leavers` left `household`: a new head if the head left, and the
    household dissolved (已撤销) if nobody is left."""
    for p in leavers:
        state.leave(p)
    staying = state.members(household)
    if not staying:
        household.status = Household.Status.DISSOLVED
        state.mark("household", household)
        return
    if any(is_head(household, p) for p in leavers):
        new_head = state.person(event.payload["new_head_id"])
        assert new_head is not None  # head_leaving_errors refused the event otherwise
        household.head = new_head
        new_head.relationship = HEAD
        state.mark("household", household)
        state.mark("person", new_head)


# --- moving between households ------------------------------------------------


def move_to_household(
    person: Person, household: Household, *, event, state: RegisterState, relationship: str, move_residence=True
) -> None:
    """Make `household` the person's household from the event's date.

    Every open spell is closed and reopened with the new household, so no
    one is in two households at once: the registered spell moves to the new
    household's region when the hukou was with the old household (a migrant's
    stays where it is), the resident spell moves there when `move_residence`.
    A spell that keeps its region counts as no move at any level.
    """
    follows_hukou = registered_with_household(person, state)
    day = event.effective_date
    registered = state.open_spell(person, Spell.Kind.REGISTERED)
    resident = state.open_spell(person, Spell.Kind.RESIDENT)
    state.set_household(person, household, relationship)
    if registered is not None:
        region = household.region_code if follows_hukou else registered.region_code
        state.transfer(person, Spell.Kind.REGISTERED, region=region, household=household, date=day, event=event)
        person.registered_code = region
    if resident is not None or move_residence:
        region = household.region_code if move_residence or resident is None else resident.region_code
        state.transfer(person, Spell.Kind.RESIDENT, region=region, household=household, date=day, event=event)
        person.residence_code = region
    refresh_codes(person, state)


def target_household_errors(event, state: RegisterState) -> tuple[Household | None, list[str]]:
    """The household named by the event (an existing one, or a new one to set
    up from the new_household_* items); errors if neither or both."""
    p = event.payload or {}
    number = (p.get("new_household_number") or "").strip()
    existing = state.household(p.get("target_household_id") or event.household_id)
    if existing is not None and number:
        return None, [refuse("E10")]
    if existing is not None:
        if existing.status != Household.Status.ACTIVE:
            return None, [refuse("E11", household=f"{existing.region_code}-{existing.number}")]
        return existing, []
    if not number:
        return None, [refuse("E12")]
    code = (p.get("new_household_village") or "").strip()
    if state.village(code) is None:
        return None, [refuse("E13", code=code)]
    if state.household_number_taken(code, number):
        return None, [refuse("H04", value=number)]
    if not (p.get("new_household_address") or "").strip():
        return None, [refuse("E15")]
    return None, []


def make_household(event, state: RegisterState) -> Household:
    """The event's target household, creating the new one if asked for."""
    p = event.payload or {}
    existing = state.household(p.get("target_household_id") or event.household_id)
    if existing is not None:
        return existing
    return new_household(
        state,
        village_code=p["new_household_village"].strip(),
        number=p["new_household_number"].strip(),
        address=p["new_household_address"].strip(),
        event=event,
    )


def new_household(state: RegisterState, *, village_code: str, number: str, address: str, event) -> Household:

    from pims.registry.models import FormState

    village = state.village(village_code)
    assert village is not None  # a split household's village, or one target_household_errors found (E13)
    household = Household(
        village=village,
        region_code=village.code,
        number=number,
        address=address,
        hh_type=Household.Type.FAMILY,
        status=Household.Status.ACTIVE,
        # Set up by an event, not collected: it changes only through events.
        form_state=FormState.APPROVED,
        approved_at=clock.now(),
        collected_on=event.effective_date,
        created_by=state.actor,
    )
    return state.add_household(household)


# --- derived codes ------------------------------------------------------------


def refresh_codes(person: Person, state: RegisterState) -> None:
    """Residence status and responsible region after a change, for the
    person and their spouse."""
    for p in filter(None, (person, state.spouse(person))):
        p.residence_status = _residence_status(p)
        p.responsible_code = responsible_code(p, state)
        state.mark("person", p)


def _residence_status(p: Person) -> str:
    if p.residence_code == p.registered_code:
        return ResidenceStatus.CONSISTENT
    if p.household is not None and p.registered_code == p.household.region_code:
        return ResidenceStatus.ABSENT  # 户在人不在
    return ResidenceStatus.AWAY  # 人在户不在


def responsible_code(p: Person, state: RegisterState) -> str:
    """Seed rule: the registered location is responsible; for a couple
    registered in different places, the wife's. A migrant whose hukou is
    not in the register is looked after where they live. A confirmed
    handover (交接) overrides the rule while the person is active."""
    if p.handover_code and p.status == PersonStatus.ACTIVE:
        return p.handover_code
    if state.open_spell(p, Spell.Kind.REGISTERED) is None:
        return p.residence_code if p.status == PersonStatus.ACTIVE else p.responsible_code
    spouse = state.spouse(p)
    if spouse is not None and spouse.registered_code != p.registered_code:
        wife = p if p.sex == "2" else spouse
        if state.open_spell(wife, Spell.Kind.REGISTERED) is not None:
            return wife.registered_code
    return p.registered_code


def pinyin_fields(name: str) -> dict:
    """Search forms of a name, by the register's one rule (pims.lib.names)."""
    full, initials = name_pinyin(name)
    return {"name_pinyin": full, "name_initials": initials}


def new_person(payload: dict, *, household: Household, state: RegisterState, **values) -> Person:
    """A person created by an event (birth, move in, flow in), from the
    payload's items; the citizen ID arrives already encrypted (the form
    encrypts it when the event is filed, so no plain number is stored)."""
    fields = {
        "name": payload.get("name", "").strip(),
        "sex": payload.get("sex", ""),
        "ethnicity": payload.get("ethnicity", ""),
        "marital_status": payload.get("marital_status") or "10",
        "hukou_type": payload.get("hukou_type", ""),
        "relationship": payload.get("relationship", ""),
        "id_cipher": payload.get("id_cipher", ""),
        "id_index": payload.get("id_index") or None,
        "id_masked": payload.get("id_masked", ""),
        "id_sex": payload.get("id_sex", ""),
        "no_id_reason": "" if payload.get("id_index") else (payload.get("no_id_reason") or "3"),
        "status": PersonStatus.ACTIVE,
    }
    if payload.get("id_birth_date"):
        fields["id_birth_date"] = dt.date.fromisoformat(payload["id_birth_date"])
    fields.update(values)
    fields.update(pinyin_fields(fields["name"]))
    person = Person(household=household, row=state.next_row(household), **fields)
    return state.add_person(person)


def new_person_errors(payload: dict, state: RegisterState, day: dt.date) -> list[str]:
    errors: list[str] = []
    if payload.get("id_index") and state.id_index_taken(payload["id_index"]):
        errors.append(refuse("E16", masked=payload.get("id_masked", "")))
    birth = payload.get("birth_date")
    if birth and dt.date.fromisoformat(birth) > day:
        errors.append(refuse("E17", birth=birth, day=day))
    return errors
