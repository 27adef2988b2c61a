"""Writes to the register: the household collection form and its review.

Saving a form is all-or-nothing: input rules first (nothing stored on an
error), then the household, members and family records are written inside a
savepoint and the register rules run over them; any error — or a warning the
user has not confirmed — rolls the savepoint back.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.services import baseline_open
from pims.exchange.entry import check_not_pending, notify_split_couples
from pims.lib import clock
from pims.lib.citizen_id import mask_citizen_id
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.lib.names import name_pinyin
from pims.lib.text import is_ascii_digits
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope

from . import errors, personal, reproductive
from .checks import Severity, Violation
from .checks.input_rules import HH_NUMBER_RE, OUTSIDE_SCOPE, validate_household_input
from .checks.runner import check_households
from .errors import HouseholdChanged
from .models import Birth, Contraception, FormState, Household, Marriage, Person, Pregnancy, ReviewComment

EDITABLE_STATES = {FormState.DRAFT, FormState.RETURNED}
FEMALE_STERILISATION = "02"


@dataclass
class SaveResult:
    household: Household | None
    violations: list[Violation] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == Severity.WARNING]

    @property
    def saved(self) -> bool:
        return self.household is not None and not self.errors


class _Rollback(Exception):
    def __init__(self, violations):
        self.violations = violations


def _where_registered(user, exclude_household_id):
    def lookup(number: str) -> str | None:
        hit = (
            Person.objects.filter(id_index=personal.citizen_id_index(number))
            .exclude(household_id=exclude_household_id)
            .select_related("household__village")
            .first()
        )
        if hit is None:
            return None
        if code_in_scope(user, hit.household.region_code):
            return f"{hit.household.village.name} {hit.household.number} 号户"
        return OUTSIDE_SCOPE

    return lookup


def _resolve_village(actor, code: str) -> Region:
    if not is_ascii_digits(code or "") or len(code) != 12:
        raise NotPermitted(errors.VILLAGE_NOT_YOURS)
    village = Region.objects.filter(code=code, level=Level.VILLAGE, valid_to__isnull=True).first()
    if village is None or not code_in_scope(actor, village.code):
        raise NotPermitted(errors.VILLAGE_NOT_YOURS)
    return village


def _check_can_collect(actor):
    if not has_capability(actor, Cap.ENTER_FORMS):
        raise NotPermitted(errors.ROLE_CANNOT_COLLECT)


def household_save(
    *,
    actor,
    data: dict,
    members: list[dict],
    household: Household | None = None,
    village_code: str = "",
    expected_version: int | None = None,
    confirm_warnings: bool = False,
) -> SaveResult:
    """Create or update a household form from raw input (as typed).

    `members` are dicts of raw strings keyed like the form's member columns,
    each with an integer `row`. Returns the saved household, or None with the
    violations that stopped it.

    An edit is a compare-and-set: the version the user's form was read at
    (`expected_version`, else the one of `household` as passed) is compared
    again with the row locked inside the write's transaction, so of two
    concurrent saves of one version exactly one is written and the other
    gets `HouseholdChanged` (409) with nothing changed.
    """
    _check_can_collect(actor)
    if household is None:
        village = _resolve_village(actor, village_code)
    else:
        village = household.village
        if household.form_state not in EDITABLE_STATES:
            raise Conflict(errors.FORM_NOT_EDITABLE)
        if expected_version is None:
            expected_version = household.version
        if expected_version != household.version:
            raise HouseholdChanged()
    for m in members:
        m.setdefault("registered_code", "")
        m.setdefault("residence_code", "")
        m["registered_code"] = (m.get("registered_code") or "").strip() or village.code
        m["residence_code"] = (m.get("residence_code") or "").strip() or village.code
    existing = {p.row: p for p in household.members.all()} if household else {}
    members = [_keep_masked(m, existing.get(m["row"])) for m in members]
    members = reproductive.keep_hidden(actor, members, existing)
    violations, cleaned = validate_household_input(
        data, members, lookup_id=_where_registered(actor, household.pk if household else None)
    )
    _audit_probes(actor, village, household, violations, cleaned)
    if _number_taken(village, data.get("number", ""), household):
        from .checks.base import violation

        violations.append(violation("H04", value=data.get("number")))
    if any(v.severity == Severity.ERROR for v in violations):
        preview = _register_preview(actor, village, household, data, cleaned, existing)
        # A value already refused as typed needs no second message from the register rules.
        flagged = {(v.row, v.field) for v in violations}
        return SaveResult(None, violations + [v for v in preview if (v.row, v.field) not in flagged])
    try:
        with transaction.atomic():
            if household is not None:
                _lock_version(household, expected_version)
            saved = _write(actor, village, household, data, cleaned, existing)
            found = violations + check_households([saved.pk])
            if any(v.severity == Severity.ERROR for v in found) or (
                any(v.severity == Severity.WARNING for v in found) and not confirm_warnings
            ):
                raise _Rollback(found)
            audit_record(
                actor=actor,
                action=Action.CREATE if household is None else Action.UPDATE,
                obj=saved,
                region_code=saved.region_code,
                detail={"members": len(cleaned), "form_state": saved.form_state},
            )
    except _Rollback as rb:
        if household is not None:
            household.refresh_from_db()
        return SaveResult(None, rb.violations)
    except IntegrityError:
        # A concurrent save took the same household number or ID first.
        raise HouseholdChanged() from None
    return SaveResult(saved, found)


def _audit_probes(actor, village, household, violations, cleaned) -> None:
    """An ID refused because it is registered outside the user's jurisdiction
    (I29) is audited — who tried which (masked) number where — so that
    probing the register for IDs is seen, though the user learns nothing."""
    rows = [v.row for v in violations if v.rule_id == "I29"]
    if not rows:
        return
    numbers = {c["row"]: c.get("citizen_id") or "" for c in cleaned}
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.ACCESS_DENIED,
            obj=household,
            region_code=village.code,
            detail={"rule": "I29", "rows": rows, "ids": [mask_citizen_id(numbers.get(r, "")) for r in rows]},
        )


def _lock_version(household: Household, expected_version: int | None) -> None:
    """Lock the household's row and refuse if it moved on since it was read
    (another save, a submission, a review) — inside the caller's transaction."""
    current = Household.objects.select_for_update().filter(pk=household.pk).values("version", "form_state").first()
    if current is None or current["version"] != expected_version:
        raise HouseholdChanged()
    if current["form_state"] not in EDITABLE_STATES:
        raise Conflict(errors.FORM_NOT_EDITABLE)


def _register_preview(actor, village, household, data, cleaned, existing) -> list[Violation]:
    """Register-rule findings for a form that already has input errors, so the
    clerk sees every problem at once. The usable part of the form is written
    in a savepoint that is always rolled back; rows too broken to store are
    left out of the preview."""
    safe_data = dict(data)
    if not _number_ok(data.get("number")) or _number_taken(village, data.get("number", ""), household):
        safe_data["number"] = "~preview"
    if (data.get("hh_type") or "").strip() not in {"1", "2"}:
        safe_data["hh_type"] = "1"
    safe_data["collected_on"] = ""
    usable = [_fit_person_values(c) for c in cleaned if c.get("birth_date") and c.get("name")]
    rows = {c["row"] for c in usable}
    for c in usable:
        for ref in ("spouse_row", "mother_row", "father_row"):
            if c.get(ref) not in rows:
                c[ref] = None
    if not usable:
        return []
    try:
        with transaction.atomic():
            saved = _write(actor, village, household, safe_data, usable, dict(existing))
            raise _Rollback(check_households([saved.pk]))
    except _Rollback as rb:
        # With rows left out, household-level findings (e.g. the head count)
        # could be artefacts of the preview: keep only the per-person ones.
        found = rb.violations if len(usable) == len(cleaned) else [v for v in rb.violations if v.row is not None]
    except (DatabaseError, ValueError, KeyError, TypeError):
        found = []
    if household is not None:
        household.refresh_from_db()
    return found


def _number_ok(number) -> bool:
    return bool(HH_NUMBER_RE.match((number or "").strip()))


def _fit_person_values(c: dict) -> dict:
    """Trim values to their columns' sizes for the preview write."""
    out = dict(c)
    for f in Person._meta.concrete_fields:
        value = out.get(f.name)
        if isinstance(value, str) and f.max_length and len(value) > f.max_length:
            out[f.name] = value[: f.max_length]
    if not out.get("citizen_id"):
        out["citizen_id"] = ""
    return out


def _keep_masked(m: dict, stored: Person | None) -> dict:
    """An unchanged masked ID or phone on an edited row means "keep the stored
    value": the full number is never sent back to the page."""
    if stored is None:
        return m
    m = dict(m)
    if stored.id_cipher and (m.get("citizen_id") or "").strip() == stored.id_masked:
        m["citizen_id"] = personal.citizen_id_open(stored.id_cipher)
    if stored.phone_cipher and (m.get("phone") or "").strip() == stored.phone_masked:
        m["phone"] = personal.phone_open(stored.phone_cipher)
    return m


def _number_taken(village, number, household) -> bool:
    if not _number_ok(number):
        return False  # malformed: H01 reports it; never query with it
    qs = Household.objects.filter(village=village, number=(number or "").strip())
    if household is not None:
        qs = qs.exclude(pk=household.pk)
    return qs.exists()


def _write(actor, village, household, data, cleaned, existing) -> Household:
    if household is None:
        household = Household(village=village, region_code=village.code, created_by=actor)
    household.number = data["number"].strip()
    household.hh_type = data["hh_type"].strip()
    household.address = data["address"].strip()
    household.form_number = (data.get("form_number") or "").strip()
    household.volume_number = (data.get("volume_number") or "").strip()
    household.collected_on = dt.date.fromisoformat(data["collected_on"]) if data.get("collected_on") else None
    household.version = (household.version or 0) + 1 if household.pk else 1
    household.head = None
    household.save()
    persons = _write_members(household, cleaned, existing)
    _write_family(persons, cleaned)
    heads = [p for p in persons.values() if p.relationship in ("01", "02")]
    household.head = heads[0] if len(heads) == 1 else None
    household.save(update_fields=["head"])
    return household


def _write_members(household, cleaned, existing) -> dict[int, Person]:
    keep_rows = {c["row"] for c in cleaned}
    gone = [p for row, p in existing.items() if row not in keep_rows]
    if gone:
        _delete_family([p.pk for p in gone])
        Person.objects.filter(pk__in=[p.pk for p in gone]).delete()
    persons = {}
    # Clear blind indexes first so that IDs moving between rows do not clash.
    Person.objects.filter(household=household).update(id_index=None)
    for c in cleaned:
        p = existing.get(c["row"]) or Person(household=household, row=c["row"])
        _fill_person(p, c)
        p.save()
        persons[c["row"]] = p
    _delete_family([p.pk for p in persons.values()])
    _set_responsible(persons, cleaned)
    return persons


def _fill_person(p: Person, c: dict) -> None:
    p.name = c["name"]
    # Surname readings (曾 zeng, 单 shan …) come from pims.lib.names.
    p.name_pinyin, p.name_initials = name_pinyin(p.name)
    number = c.get("citizen_id") or ""
    p.id_cipher, p.id_index, p.id_masked = personal.citizen_id_stored(number)
    p.id_sex, p.id_birth_date = (c["id_sex"], c["id_birth_date"]) if number else ("", None)
    p.no_id_reason = c.get("no_id_reason", "")
    for f in (
        "sex",
        "birth_date",
        "ethnicity",
        "education",
        "occupation",
        "marital_status",
        "relationship",
        "hukou_type",
        "registered_code",
        "residence_code",
        "residence_status",
    ):
        setattr(p, f, c.get(f) or "")
    p.phone_cipher, p.phone_index, p.phone_masked = personal.phone_stored(c.get("phone") or "")


def _set_responsible(persons: dict[int, Person], cleaned) -> None:
    """Seed rule: the registered location is responsible; for a couple
    registered in different places, the wife's registered location."""
    by_row = {c["row"]: c for c in cleaned}
    for row, p in persons.items():
        code = p.registered_code
        spouse_row = by_row[row].get("spouse_row")
        spouse = persons.get(spouse_row) if spouse_row else None
        if spouse is not None and spouse.registered_code != p.registered_code:
            wife = p if p.sex == "2" else spouse
            code = wife.registered_code
        code = p.handover_code or code  # a confirmed handover (交接) keeps its region
        if p.responsible_code != code:
            p.responsible_code = code
            p.save(update_fields=["responsible_code"])


def _delete_family(person_ids: list[int]) -> None:
    Birth.objects.filter(child_id__in=person_ids).delete()
    Marriage.objects.filter(husband_id__in=person_ids).delete()
    Marriage.objects.filter(wife_id__in=person_ids).delete()
    Contraception.objects.filter(woman_id__in=person_ids).delete()
    Pregnancy.objects.filter(woman_id__in=person_ids).delete()


def _write_family(persons: dict[int, Person], cleaned) -> None:
    births, marriages, contraceptions, pregnancies = [], [], [], []
    paired = set()
    for c in cleaned:
        p = persons[c["row"]]
        spouse = persons.get(c.get("spouse_row")) if c.get("spouse_row") else None
        if spouse is not None and frozenset((p.pk, spouse.pk)) not in paired:
            paired.add(frozenset((p.pk, spouse.pk)))
            husband, wife = (p, spouse) if p.sex == "1" else (spouse, p)
            kind = (
                Marriage.Kind.REMARRIAGE if "22" in (p.marital_status, spouse.marital_status) else Marriage.Kind.FIRST
            )
            marriages.append(Marriage(husband=husband, wife=wife, date=c.get("marriage_date"), kind=kind))
        mother = persons.get(c.get("mother_row")) if c.get("mother_row") else None
        father = persons.get(c.get("father_row")) if c.get("father_row") else None
        if mother or father or c.get("birth_order") or c.get("birth_cert_no"):
            births.append(
                Birth(
                    child=p,
                    mother=mother,
                    father=father,
                    birth_order=c.get("birth_order"),
                    certificate_no=c.get("birth_cert_no", ""),
                )
            )
        if c.get("contraceptive_method"):
            start = c.get("contraception_start") or p.birth_date
            contraceptions.append(Contraception(woman=p, method=c["contraceptive_method"], start_date=start))
        if c.get("pregnant_since"):
            pregnancies.append(Pregnancy(woman=p, start_date=c["pregnant_since"]))
    Marriage.objects.bulk_create(marriages)
    Birth.objects.bulk_create(births)
    Contraception.objects.bulk_create(contraceptions)
    Pregnancy.objects.bulk_create(pregnancies)


# --- workflow: draft → submitted → returned / approved ----------------------


def household_submit(*, actor, household: Household, confirm_warnings: bool = False) -> SaveResult:
    _check_can_collect(actor)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if household.form_state not in EDITABLE_STATES:
            raise Conflict(errors.FORM_NOT_SUBMITTABLE)
        check_not_pending(household)
        found = check_households([household.pk])
        if any(v.severity == Severity.ERROR for v in found) or (found and not confirm_warnings):
            return SaveResult(None, found)
        household.form_state = FormState.SUBMITTED
        household.version += 1
        household.save(update_fields=["form_state", "version", "updated_at"])
        household.review_comments.filter(resolved=False).update(resolved=True)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=household,
            region_code=household.region_code,
            detail={"transition": "submit"},
        )
    return SaveResult(household, found)


def _check_reviewer(actor, household):
    if not has_capability(actor, Cap.REVIEW) or not code_in_scope(actor, household.region_code):
        raise NotPermitted(errors.FORM_NOT_YOURS_TO_REVIEW)
    if household.form_state != FormState.SUBMITTED:
        raise Conflict(errors.FORM_NOT_SUBMITTED)


def household_return(*, actor, household: Household, comments: list[dict]) -> Household:
    """Return a submitted form with comments, each {row, field, message}."""
    comments = [c for c in comments if (c.get("message") or "").strip()]
    if not comments:
        raise Conflict(errors.RETURN_NEEDS_COMMENT)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        _check_reviewer(actor, household)
        ReviewComment.objects.bulk_create(
            ReviewComment(
                household=household,
                row=c.get("row") or None,
                field=c.get("field", ""),
                message=c["message"].strip(),
                author=actor,
            )
            for c in comments
        )
        household.form_state = FormState.RETURNED
        household.version += 1
        household.save(update_fields=["form_state", "version", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=household,
            region_code=household.region_code,
            detail={"transition": "return", "comments": len(comments)},
        )
    return household


def household_approve(*, actor, household: Household, baseline_date: dt.date | None = None) -> Household:
    """Approve a submitted form; its members' spells open with a baseline event."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        _check_reviewer(actor, household)
        check_not_pending(household)
        broken = [v for v in check_households([household.pk]) if v.severity == Severity.ERROR]
        if broken:
            raise Conflict(errors.FORM_STILL_HAS_ERRORS, errors="；".join(v.message for v in broken[:3]))
        household.form_state = FormState.APPROVED
        household.approved_at = clock.now()
        household.version += 1
        household.save(update_fields=["form_state", "approved_at", "version", "updated_at"])
        members = list(household.members.all())
        baseline_open(
            actor=actor,
            household=household,
            persons=members,
            baseline_date=baseline_date or household.collected_on or clock.today(),
        )
        notify_split_couples(actor=actor, household=household)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=household,
            region_code=household.region_code,
            detail={"transition": "approve", "members": len(members)},
        )
    return household


def person_reveal_citizen_id(*, actor, person: Person, ip: str | None = None) -> str:
    """The full ID number, for roles allowed to see it; every showing is audited."""
    if not has_capability(actor, Cap.UNMASK_PERSONAL):
        raise NotPermitted(errors.ROLE_CANNOT_UNMASK)
    if not person.id_cipher:
        return ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.VIEW_UNMASKED,
            obj=person,
            region_code=person.responsible_code,
            detail={"field": "citizen_id"},
            ip=ip,
        )
    return personal.citizen_id_open(person.id_cipher)


SCAN_MAX_BYTES = 10 * 1024 * 1024
SCAN_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"%PDF-": "pdf"}


def household_attach_scan(*, actor, household: Household, upload) -> Household:
    """Attach the scanned paper form (PNG, JPEG or PDF, at most 10 MB)."""
    _check_can_collect(actor)
    if upload.size > SCAN_MAX_BYTES:
        raise Invalid(errors.SCAN_TOO_LARGE)
    head = upload.read(8)
    upload.seek(0)
    kind = next((k for sig, k in SCAN_SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None:
        raise Invalid(errors.SCAN_WRONG_TYPE)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        household.form_scan.save(f"{household.region_code}-{household.number}.{kind}", upload, save=False)
        household.version += 1
        household.save(update_fields=["form_scan", "version", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=household,
            region_code=household.region_code,
            detail={"field": "form_scan", "bytes": upload.size},
        )
    return household
