"""更正: corrects one recorded item of a person, with the value before and
after; it may point at the event whose data it corrects (`supersedes`).

What can be corrected, and the rule each keeps:

- descriptive items (name, sex, birth date, ethnicity …): the new value must
  be a valid code or date, and agree with the rest of the record;
- relationship to the head (与户主关系): a person becomes or stops being the
  head (02) only through the events that choose a head;
- the citizen ID number: re-validated like the register does (GB 11643 via
  pims.lib.citizen_id, sex and birth date agreeing with the record, the keyed
  hash unique in the register), then stored encrypted; the plain number
  never reaches the payload (before/after keep the masked form) and the
  change is audited when it is approved (pims.events.services);
- the registered / residence region (户籍地 / 居住地): the open spell of that
  kind is corrected *from its start* — the wrong spell is closed with no
  length and the right one opened with the same start, so this is not a
  move: nothing happened on the correction's date. The difference counts as
  更正增减 in the month the correction is approved, so closed months keep
  their figures and the balance holds (docs/events.md);
- family links: the mother or father of the person's birth record (the
  mothers' birth orders 孩次 are kept consistent), and the spouse of the
  person's current marriage (both spouses' marital status and responsible
  region follow).

Where someone is registered or lives *now*, their status and their family
ties change through the events that describe what happened (moves, death,
marriage …); a correction only says what was true all along.
"""

import datetime as dt

from pims.codes.selectors import code_map
from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.lib.dates import age_on
from pims.regions.models import Level, Region
from pims.registry.checks import limits
from pims.registry.models import Person, PersonStatus
from pims.registry.personal import citizen_id_index, citizen_id_payload

from ..models import Spell
from . import base
from .base import Field, pinyin_fields
from .catalogue import refuse
from .marriage import marriage_age

LABEL = "更正"
PERSON = "更正人员"
RELATED = None
HOUSEHOLD = None
TARGET = "所更正的事件编号"
TARGET_REQUIRED = False
DESCRIPTIVE = {
    "name": ("姓名", ""),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", ""),
    "ethnicity": ("民族", "ethnicity"),
    "education": ("文化程度", "education"),
    "occupation": ("职业", "occupation"),
    "hukou_type": ("户口类别", "household_registration_type"),
    "relationship": ("与户主关系", "family_relationship"),
}
IDENTITY = {"citizen_id": ("公民身份号码", "")}
REGIONS = {
    "registered_code": ("户籍地区划", Spell.Kind.REGISTERED),
    "residence_code": ("现居住地区划", Spell.Kind.RESIDENT),
}
LINKS = {
    "birth_mother": ("出生记录中的母亲", "2"),
    "birth_father": ("出生记录中的父亲", "1"),
    "spouse": ("现任配偶", ""),
}
CORRECTABLE = {
    **DESCRIPTIVE,
    **IDENTITY,
    **{k: (v[0], "") for k, v in REGIONS.items()},
    **{k: (v[0], "") for k, v in LINKS.items()},
}
FIELDS = [
    Field("field", "更正项目", "choice"),
    Field("before", "更正前", required=False, help="须与登记值一致；更正人员关系时填写原关系人的姓名"),
    Field("after", "更正后", required=False, help="更正区划时填写 12 位区划代码"),
    Field("after_person", "更正后的关系人", "person", required=False, help="更正母亲、父亲或配偶时选择"),
]
CHOICES = {"field": [(k, v[0]) for k, v in CORRECTABLE.items()]}
HEAD = base.HEAD
REGION_CODE_LEN = 12
PARENT = {"birth_mother": "母亲", "birth_father": "父亲"}


def field_label(field: str) -> str:
    return CORRECTABLE.get(field, (field, ""))[0]


def clean(payload: dict) -> list[str]:
    """Shape of the new value, when the event is filed. An ID number is
    parsed and encrypted here, and replaced in the payload by its masked form."""
    field = payload.get("field")
    if field not in CORRECTABLE:
        return [refuse("E141", field=field)]
    name = field_label(field)
    after = (payload.get("after") or "").strip()
    if field in LINKS:
        if not payload.get("after_person"):
            return [refuse("E142", name=name)]
        person = Person.objects.filter(pk=payload["after_person"]).values_list("name", flat=True).first()
        payload["after"] = person or ""
        return []
    if not after:
        return [refuse("E143", name=name)]
    if field in IDENTITY:
        return _clean_citizen_id(payload)
    if field in REGIONS:
        if not (after.isdigit() and len(after) == REGION_CODE_LEN):
            return [refuse("E144", name=name, after=after)]
        return []
    table = DESCRIPTIVE[field][1]
    if table and after not in code_map(table):
        return [refuse("E145", name=name, after=after)]
    if field == "birth_date":
        try:
            if dt.date.fromisoformat(after) > clock.today():
                return [refuse("E146", after=after)]
        except ValueError:
            return [refuse("E147", after=after)]
    return []


def _clean_citizen_id(payload: dict) -> list[str]:
    try:
        parsed = cid.parse(payload["after"])
    except cid.CitizenIdError as exc:
        payload["after"] = ""
        return [refuse("E148", reason=exc)]
    before = (payload.get("before") or "").strip()
    if before and "*" not in before:
        try:
            old = cid.parse(before)
        except cid.CitizenIdError as exc:
            payload["before"] = ""
            return [refuse("E149", reason=exc)]
        payload["before_index"] = citizen_id_index(old.number)
        payload["before"] = old.masked
    payload.update(after=parsed.masked, **citizen_id_payload(parsed))
    return []


def _current(person, field, state) -> str:
    if field == "citizen_id":
        return person.id_masked or ""
    if field in LINKS:
        linked = _linked(person, field, state)
        return linked.name if linked is not None else ""
    value = getattr(person, field)
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")


def _linked(person, field, state) -> Person | None:
    if field == "spouse":
        return state.spouse(person)
    birth = state.birth_of(person)
    if birth is None:
        return None
    pk = birth.mother_id if field == "birth_mother" else birth.father_id
    return state.fetch_person(pk) if pk else None


def validate(event, state) -> list[str]:
    errors: list[str] = []
    person = base.subject(event, state, errors, "更正人员")
    if person is None:
        return errors
    p = event.payload or {}
    field = p.get("field")
    if field not in CORRECTABLE:
        return clean(dict(p))
    name = field_label(field)
    before, current = (p.get("before") or ""), _current(person, field, state)
    if field == "citizen_id" and p.get("before_index"):
        same = p["before_index"] == person.id_index
    else:
        same = before == current
    if not same:
        errors.append(refuse("E150", person=base.label(person), name=name, current=current, before=before))
    check = {"birth_date": _birth_date, "sex": _sex, "relationship": _relationship, "citizen_id": _citizen_id}
    if field in REGIONS:
        errors += _region(event, person, state, field)
    elif field in LINKS:
        errors += _link(event, person, state, field)
    elif field in check:
        errors += check[field](event, person, state)
    return errors


def _birth_date(event, person, state) -> list[str]:
    errors = []
    new = dt.date.fromisoformat(event.payload["after"])
    started = [s.start for s in state.open_spells(person)]
    if started and new > min(started):
        errors.append(refuse("E151", new=new, person=base.label(person), start=min(started)))
    if person.id_birth_date and person.id_birth_date != new:
        errors.append(refuse("R29", name=person.name, birth_date=new))
    return errors + _family_limits(person, new, state)


def _family_limits(person, born: dt.date, state) -> list[str]:
    """The shared limits a new birth date must still keep: parents older
    than their children (R07), the mother's age at each birth (R08) — as the
    child and as the mother — and the legal age at the current marriage
    (R01/R02)."""
    errors: list[str] = []
    birth = state.birth_of(person)
    for parent_id, parent in ((birth.mother_id, "母亲"), (birth.father_id, "父亲")) if birth else ():
        other = state.fetch_person(parent_id) if parent_id else None
        if other is None:
            continue
        if other.birth_date >= born:
            errors.append(limits.parent_older(name=person.name, parent=parent))
        elif parent == "母亲" and (
            found := limits.mother_age(name=person.name, age=age_on(other.birth_date, born), born=born)
        ):
            errors.append(found)
    for b in state.births_of(person) if person.sex == "2" else ():
        child = b.child
        if born >= child.birth_date:
            errors.append(limits.parent_older(name=child.name, parent="母亲"))
        elif found := limits.mother_age(name=child.name, age=age_on(born, child.birth_date), born=child.birth_date):
            errors.append(found)
    marriage = state.marriage(person)
    if marriage is not None and marriage.date is not None and marriage.date > born:
        age = age_on(born, marriage.date)
        if found := limits.marriage_age(name=person.name, sex=person.sex, age=age, on=marriage.date):
            errors.append(found)
    return errors


def _sex(event, person, state) -> list[str]:
    errors: list[str] = []
    if state.marriage(person) or state.pregnancy(person) or state.contraception(person):
        errors.append(refuse("E152", person=base.label(person)))
    if person.id_sex and person.id_sex != event.payload["after"]:
        errors.append(refuse("R28", name=person.name))
    return errors


def _relationship(event, person, state) -> list[str]:
    after, household = event.payload["after"], person.household
    if household is None:
        return []
    if after == HEAD and not base.is_head(household, person):
        return [refuse("E153", person=base.label(person))]
    if person.relationship == HEAD and after != HEAD and base.is_head(household, person):
        return [refuse("E154", person=base.label(person))]
    return []


def _citizen_id(event, person, state) -> list[str]:
    p = event.payload
    errors: list[str] = []
    if p.get("id_sex") and p["id_sex"] != person.sex:
        errors.append(refuse("R28", name=person.name))
    if p.get("id_birth_date") and p["id_birth_date"] != person.birth_date.isoformat():
        errors.append(refuse("R29", name=person.name, birth_date=person.birth_date))
    if p.get("id_index") == person.id_index:
        errors.append(refuse("E155", name="公民身份号码", after=p["after"]))
    elif p.get("id_index") and state.id_index_taken(p["id_index"]):
        errors.append(refuse("R27", name=person.name))
    return errors


def _region(event, person, state, field) -> list[str]:
    name, kind = REGIONS[field]
    after = event.payload["after"]
    spell = state.open_spell(person, kind)
    if spell is None:
        return [refuse("E156", person=base.label(person), kind=Spell.Kind(kind).label, name=name)]
    if after == spell.region_code:
        return [refuse("E155", name=name, after=after)]
    region = Region.objects.filter(code=after).first()
    if region is not None:
        if region.level != Level.VILLAGE or region.valid_to is not None:
            return [refuse("E157", name=name, after=after)]
    elif Region.objects.filter(code__in=[after[:6], after[:6] + "000000"]).exists():
        return [refuse("E158", name=name, after=after)]
    return []


def _link(event, person, state, field) -> list[str]:
    name, sex = LINKS[field]
    new = state.person(event.payload.get("after_person"))
    if new is None:
        return [refuse("E159", name=name)]
    if new.pk == person.pk:
        return [refuse("E160", name=name, person=base.label(person))]
    if field == "spouse":
        return _spouse(person, new, state)
    birth = state.birth_of(person)
    if birth is None:
        return [refuse("E161", person=base.label(person), name=name)]
    if new.sex != sex:
        return [refuse("E162", name=name, person=base.label(new))]
    other = birth.father_id if field == "birth_mother" else birth.mother_id
    if other == new.pk:
        return [refuse("E163", person=base.label(new))]
    if new.birth_date >= person.birth_date:
        return [limits.parent_older(name=person.name, parent=PARENT[field])]
    if field == "birth_mother":
        age = age_on(new.birth_date, person.birth_date)
        if found := limits.mother_age(name=person.name, age=age, born=person.birth_date):
            return [found]
    return []


def _spouse(person, new, state) -> list[str]:
    marriage = state.marriage(person)
    if marriage is None:
        return [refuse("E164", person=base.label(person))]
    if new.sex == person.sex:
        return [refuse("E82", a=base.label(person), b=base.label(new))]
    if state.spouse(person) is new:
        return [refuse("E155", name="现任配偶", after=new.name)]
    if new.status != PersonStatus.ACTIVE:
        return [refuse("E165", person=base.label(new), status=new.get_status_display())]
    if state.marriage(new) is not None or new.marital_status in base.MARRIED:
        return [refuse("E166", person=base.label(new))]
    if marriage.date is not None and (found := marriage_age(new, marriage.date)):
        return [found]
    return []


def apply(event, state) -> None:
    person = state.person(event.person_id)
    p = event.payload
    field, after = p["field"], (p.get("after") or "").strip()
    if field in REGIONS:
        _apply_region(event, person, state, field, after)
    elif field == "citizen_id":
        person.id_cipher, person.id_index, person.id_masked = p["id_cipher"], p["id_index"], p["id_masked"]
        person.id_sex, person.id_birth_date = p["id_sex"], dt.date.fromisoformat(p["id_birth_date"])
        person.no_id_reason = ""
        state._id_indexes.add(p["id_index"])
    elif field in ("birth_mother", "birth_father"):
        birth, new = state.birth_of(person), state.person(p["after_person"])
        if field == "birth_mother":
            state.move_birth(birth, new)
        else:
            birth.father = new
            state.dirty["birth"][id(birth)] = birth
    elif field == "spouse":
        _apply_spouse(person, state.person(p["after_person"]), state)
    elif field == "birth_date":
        person.birth_date = dt.date.fromisoformat(after)
    else:
        setattr(person, field, after)
    if field == "name":
        for key, value in pinyin_fields(after).items():
            setattr(person, key, value)
    state.mark("person", person)


def _apply_region(event, person, state, field, after) -> None:
    kind = REGIONS[field][1]
    wrong = state.open_spell(person, kind)
    start, household = wrong.start, wrong.household
    state.close(person, kind, end=start, event=event, reason=Spell.Closed.CORRECTION, destination=after)
    state.open(
        person,
        kind,
        region=after,
        household=household,
        start=start,
        event=event,
        reason=Spell.Opened.CORRECTION,
        origin=wrong.region_code,
    )
    setattr(person, field, after)
    base.refresh_codes(person, state)


def _apply_spouse(person, new, state) -> None:
    marriage = state.marriage(person)
    old = state.spouse(person)
    husband, wife = (person, new) if person.sex == "1" else (new, person)
    state.rebind_marriage(marriage, husband=husband, wife=wife)
    new.marital_status = person.marital_status if person.marital_status in base.MARRIED else "20"
    state.mark("person", new)
    if old is not None:
        ended = [*old.marriages_as_husband.all(), *old.marriages_as_wife.all()]
        ended = [m for m in ended if m.end_date is not None and m.pk != marriage.pk]
        last = max(ended, key=lambda m: m.end_date, default=None)
        old.marital_status = "10" if last is None else ("30" if last.end_reason == "death" else "40")
        base.refresh_codes(old, state)
    base.refresh_codes(person, state)
    base.refresh_codes(new, state)
