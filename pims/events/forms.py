"""Reading an event as typed (form or API) into the fields of an `Event`.

Only the shape is judged here — dates, codes, ID numbers, that a named
person or household exists and is visible to the one filing; the register
rules (is she married already? is he still here?) are the handlers'. A
citizen ID is encrypted here: the payload keeps only the ciphertext, the
keyed hash and the masked form.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from pims.codes.selectors import code_map, code_text_map
from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.registry.checks.limits import SEX_LABEL
from pims.registry.models import Household, Person
from pims.registry.personal import citizen_id_index, citizen_id_payload, outcome_payload
from pims.registry.selectors import household_list_visible_to, person_list_visible_to

from .handlers import handler_for
from .handlers.base import Field
from .handlers.catalogue import refuse
from .models import Event

REGION_CODE_LEN = 12


@dataclass
class Parsed:
    fields: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _text(data, name) -> str:
    value = data.get(name)
    return str(value).strip() if value is not None else ""


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class _Reader:
    def __init__(self, actor, report):
        self.actor = actor
        self.report = report
        self._codes: dict[str, dict] = {}

    def codes(self, table: str) -> dict:
        if table not in self._codes:
            self._codes[table] = code_map(table)
        return self._codes[table]

    def texts(self, table: str) -> dict:
        key = f"texts:{table}"
        if key not in self._codes:
            self._codes[key] = code_text_map(table)
        return self._codes[key]

    def visible_person(self, raw) -> Person | None:
        if not str(raw).isdigit():
            return None
        return person_list_visible_to(user=self.actor).filter(pk=int(raw)).first()

    def visible_household(self, raw) -> Household | None:
        if not str(raw).isdigit():
            return None
        return household_list_visible_to(user=self.actor).filter(pk=int(raw)).first()

    def in_report_region(self, person: Person) -> bool:
        prefix = self.report.region.prefix
        return any(
            c.startswith(prefix) for c in (person.responsible_code, person.registered_code, person.residence_code)
        )


def parse_event(*, actor, report, event_type: str, data: dict) -> Parsed:
    """`data`: raw strings keyed by `person`, `related_person` (or
    `related_citizen_id`), `household`, `effective_date`, `supersedes` and
    the type's payload items; `members` is a list of {person_id, relationship}."""
    out = Parsed()
    handler = handler_for(event_type)
    if handler is None:
        out.errors.append(refuse("E301", event_type=event_type))
        return out
    reader = _Reader(actor, report)
    _read_common(reader, handler, data, out)
    for spec in handler.FIELDS:
        _read_item(reader, spec, data, out)
    check_id_matches(out)
    if hasattr(handler, "complete"):
        handler.complete(out.fields, out.errors)
    if hasattr(handler, "clean") and not out.errors:
        out.errors += handler.clean(out.payload)
    if out.payload.get("outcome"):  # a pregnancy's outcome is kept only encrypted (issue 14.7)
        out.payload.update(outcome_payload(out.payload.pop("outcome")))
    return out


def _read_common(reader: _Reader, handler, data: dict, out: Parsed) -> None:
    day = _date(_text(data, "effective_date"))
    if day is None:
        out.errors.append(refuse("E302", value=_text(data, "effective_date")))
    out.fields["effective_date"] = day
    raw = _text(data, "person")
    if handler.PERSON is not None and (raw or not getattr(handler, "PERSON_OPTIONAL", False)):
        person = reader.visible_person(raw)
        if person is None:
            out.errors.append(refuse("E303", label=handler.PERSON.split("（")[0]))
        elif not reader.in_report_region(person):
            out.errors.append(refuse("E304", person=f"“{person.name}”"))
        out.fields["person"] = person
    if handler.RELATED is not None:
        out.fields["related_person"] = _related(reader, handler, data, out)
    raw = _text(data, "household")
    if handler.HOUSEHOLD is not None and raw:
        household = reader.visible_household(raw)
        if household is None:
            out.errors.append(refuse("E315", label=handler.HOUSEHOLD.split("（")[0]))
        out.fields["household"] = household
    raw = _text(data, "supersedes")
    if raw:
        target = Event.objects.filter(
            pk=raw if raw.isdigit() else 0, region_code__startswith=reader.report.region.prefix
        )
        out.fields["supersedes"] = target.first()
        if out.fields["supersedes"] is None:
            out.errors.append(refuse("E305", value=raw))


def _related(reader: _Reader, handler, data: dict, out: Parsed) -> Person | None:
    """The other person: chosen among visible persons, or — for a spouse who
    lives in another jurisdiction — found by citizen ID number."""
    raw, number = _text(data, "related_person"), _text(data, "related_citizen_id")
    what = handler.RELATED
    if raw:
        person = reader.visible_person(raw)
        if person is None:
            out.errors.append(refuse("E315", label=what))
        elif handler.PERSON is None and not reader.in_report_region(person):
            out.errors.append(refuse("E304", person=f"{what}“{person.name}”"))
        return person
    if number:
        try:
            parsed = cid.parse(number)
        except cid.CitizenIdError as exc:
            out.errors.append(refuse("E306", label=what, reason=exc))
            return None
        person = Person.objects.filter(id_index=citizen_id_index(parsed.number)).first()
        if person is None:
            out.errors.append(refuse("E307", label=what, masked=parsed.masked))
        return person
    out.errors.append(refuse("E308", label=what))
    return None


def _read_item(reader: _Reader, spec: Field, data: dict, out: Parsed) -> None:
    if spec.kind == "members":
        out.payload["members"] = _members(reader, data.get("members") or [], out)
        if spec.required and not out.payload["members"]:
            out.errors.append(refuse("E309", label=spec.label))
        return
    if spec.kind == "bool":
        value = data.get(spec.name)
        out.payload[spec.name] = value in (True, "1", "on", "true", "yes")
        return
    raw = _text(data, spec.name)
    if not raw:
        if spec.required:
            out.errors.append(refuse("E310", label=spec.label))
        return
    reader_for = {
        "date": _read_date,
        "code": _read_code,
        "region": _read_region,
        "village": _read_region,
        "person": _read_person,
        "household": _read_household,
        "citizen_id": _read_citizen_id,
    }.get(spec.kind)
    if reader_for is None:
        out.payload[spec.name] = raw[:200]
    else:
        reader_for(reader, spec, raw, out)


def _read_date(reader, spec, raw, out):
    day = _date(raw)
    if day is None or day > clock.today():
        out.errors.append(refuse("E311", label=spec.label, value=raw))
    else:
        out.payload[spec.name] = day.isoformat()


def _read_code(reader, spec, raw, out):
    # A code, or its name or alias in the code manual (one path for every input).
    code = reader.texts(spec.table).get(raw)
    if code is None:
        out.errors.append(refuse("E312", label=spec.label, value=raw))
    else:
        out.payload[spec.name] = code


def _read_region(reader, spec, raw, out):
    if not (raw.isdigit() and len(raw) == REGION_CODE_LEN):
        out.errors.append(refuse("E313", label=spec.label, value=raw))
    else:
        out.payload[spec.name] = raw


def _read_person(reader, spec, raw, out):
    person = reader.visible_person(raw)
    if person is None:
        out.errors.append(refuse("E315", label=spec.label))
    else:
        out.payload[spec.name] = person.pk


def _read_household(reader, spec, raw, out):
    household = reader.visible_household(raw)
    if household is None:
        out.errors.append(refuse("E315", label=spec.label))
    else:
        out.payload[spec.name] = household.pk


def _read_citizen_id(reader, spec, raw, out):
    try:
        parsed = cid.parse(raw)
    except cid.CitizenIdError as exc:
        out.errors.append(refuse("E314", label=spec.label, reason=exc))
        return
    out.payload.update(citizen_id_payload(parsed))


def check_id_matches(out: Parsed) -> None:
    p = out.payload
    if p.get("id_sex") and p.get("sex") and p["id_sex"] != p["sex"]:
        out.errors.append(refuse("I06", expected=SEX_LABEL.get(p["id_sex"], p["id_sex"])))
    if p.get("id_birth_date") and p.get("birth_date") and p["id_birth_date"] != p["birth_date"]:
        out.errors.append(refuse("I07", expected=p["id_birth_date"]))


def _members(reader: _Reader, items, out: Parsed) -> list[dict]:
    rows = []
    relationships = reader.codes("family_relationship")
    ids = [str(i.get("person_id", "")) for i in items]
    visible = set(
        person_list_visible_to(user=reader.actor)
        .filter(Q(pk__in=[int(i) for i in ids if i.isdigit()]))
        .values_list("pk", flat=True)
    )
    for item in items:
        raw, rel = str(item.get("person_id", "")), str(item.get("relationship", "")).strip()
        if not raw.isdigit() or int(raw) not in visible:
            out.errors.append(refuse("E315", label=f"成员 {raw}"))
            continue
        if rel not in relationships:
            out.errors.append(refuse("E312", label=f"成员 {raw} 的与户主关系", value=rel))
            continue
        rows.append({"person_id": int(raw), "relationship": rel})
    return rows
