"""Writes of the documents: one service per transition of a 生育登记

    (village / online) ──apply──▶ applied ──issue (township)──▶ issued
    (township, on the spot) ──apply with issue──────────────────▶ issued
    applied | issued ──cancel (with a reason)──▶ cancelled

Same-day issue: a township registers on the spot, no approval (DOMAIN.md
§2). Every service takes `actor`, checks role and region, validates before
writing and writes its audit row in its transaction. An issued number
comes from the issuer's yearly sequence and stays used when cancelled.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.codes.selectors import code_is_valid, code_map
from pims.events.models import Spell
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.params.selectors import param_value
from pims.regions.models import Level
from pims.registry.checks import limits
from pims.registry.models import Person, PersonStatus
from pims.registry.selectors import person_list_visible_to

from . import counting, errors
from .models import (
    BirthRegistration,
    CancelReason,
    DocumentKind,
    DocumentSequence,
    RegistrationMethod,
    RegistrationState,
)
from .selectors import Prefill, registration_prefill

RECORD = "birth_registration"
MARRIED = ("20", "21", "22", "23")


def township_of(code: str) -> str:
    """The township (乡镇) code above a 12-digit code of that level or below."""
    return code[:9] + "000"


def acting_township(actor) -> str | None:
    """The township the actor receives applications for: their own, or the
    one of their village (a village the township delegates to)."""
    region = getattr(actor, "region", None)
    if region is None or region.level not in (Level.TOWNSHIP, Level.VILLAGE):
        return None
    return township_of(region.code)


def next_number(kind: str, issuer_code: str, year: int) -> str:
    """The next number of the issuer's sequence for the year, inside the
    caller's transaction: the row lock makes concurrent issues wait, so the
    numbers have no gaps and none is used twice."""
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(kind=kind, issuer_code=issuer_code, year=year)
    except IntegrityError:
        pass  # created meanwhile by a concurrent issue
    seq = DocumentSequence.objects.select_for_update().get(kind=kind, issuer_code=issuer_code, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{issuer_code[:9]}{year}{seq.last:05d}"


def new_token() -> str:
    """An unguessable verification token (256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Application:
    """What the applicants add to what the register already knows."""

    due_date: dt.date | None = None
    child: Person | None = None
    method: str = RegistrationMethod.ON_SITE
    husband_employer: str = ""
    wife_employer: str = ""
    commitment: bool = False


def _problem(template, field: str, rule: str, **params) -> Problem:
    return Problem(str(template) % params if params else str(template), rule=rule, field=field, record=RECORD)


def registration_check(*, actor, prefill: Prefill, application: Application, office: str) -> list[Problem]:
    """Every rule the application breaks (empty: it may be registered)."""
    problems = list(prefill.problems)
    husband, wife = prefill.husband, prefill.wife
    if husband is None or wife is None:
        return problems
    today = clock.today()
    for role, p, sex, prefix in (("男方", husband, "1", "husband"), ("女方", wife, "2", "wife")):
        if p.status != PersonStatus.ACTIVE:
            problems.append(_problem(errors.NOT_ACTIVE, f"{prefix}.status", "active", name=p.name))
        if p.sex != sex:
            problems.append(_problem(errors.WRONG_SEX, f"{prefix}.sex", "sex", name=p.name, role=role))
        if p.marital_status not in MARRIED:
            status = code_map("marital_status").get(p.marital_status, p.marital_status)
            problems.append(
                _problem(errors.NOT_MARRIED_STATUS, f"{prefix}.marital_status", "married", name=p.name, status=status)
            )
        for field, table, label in (
            ("ethnicity", "ethnicity", "民族"),
            ("marital_status", "marital_status", "婚姻状况"),
            ("hukou_type", "household_registration_type", "户口类别"),
        ):
            value = getattr(p, field)
            if not code_is_valid(table, value):
                problems.append(
                    _problem(errors.CODE_INVALID, f"{prefix}.{field}", "code", name=p.name, label=label, code=value)
                )
    places = {township_of(c) for p in (husband, wife) for c in (p.registered_code, p.residence_code) if c}
    if office not in places:
        problems.append(_problem(errors.WRONG_OFFICE, "office", "office", office=office))
    problems += _province_problems(husband, wife, office, today)
    problems += _child_problems(prefill, application, wife, today)
    if not application.commitment:
        problems.append(_problem(errors.COMMITMENT_REQUIRED, "commitment", "commitment"))
    return problems


def _province_problems(husband: Person, wife: Person, office: str, today: dt.date) -> list[Problem]:
    province = office[:2]
    if any(p.registered_code.startswith(province) for p in (husband, wife)):
        return []
    months = param_value("birth_registration.residence_min_months", today)
    limit = _months_before(today, months)
    settled = Spell.objects.filter(
        person__in=[husband, wife],
        kind=Spell.Kind.RESIDENT,
        end__isnull=True,
        region_code__startswith=province,
        start__lte=limit,
    ).count()
    if settled == 2:
        return []
    return [_problem(errors.OUT_OF_PROVINCE, "registered_code", "province", months=months)]


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return dt.date(year, month, min(day.day, last[month - 1]))


def _child_problems(prefill: Prefill, application: Application, wife: Person, today: dt.date) -> list[Problem]:
    due, child = application.due_date, application.child
    if due is not None and child is not None:
        return [_problem(errors.DUE_OR_CHILD, "due_date", "due_or_child")]
    if child is not None:
        line = (
            next((x for x in prefill.derivation.lines if x.person_id == child.pk), None) if prefill.derivation else None
        )
        if line is None or not line.counted:
            why = line.text if line is not None else str(counting.REASONS[counting.THIRD_PARTY]) % {"parent": ""}
            return [_problem(errors.CHILD_NOT_JOINT, "child", "joint_child", name=child.name, why=why)]
        return []
    if due is None:
        return []
    if due < today:
        return [_problem(errors.DUE_PASSED, "due_date", "due_date", due=due)]
    days = param_value("birth_registration.due_date_max_days", today)
    if (due - today).days > days:
        return [_problem(errors.DUE_TOO_FAR, "due_date", "due_date", due=due, days=days)]
    age = due.year - wife.birth_date.year - ((due.month, due.day) < (wife.birth_date.month, wife.birth_date.day))
    # The register's own rule (R08, params birth.mother_age.min/max): one definition.
    finding = limits.mother_age(name=wife.name, age=age, born=due)
    if finding is not None:
        return [Problem(str(finding), rule=finding.rule_id, field="due_date", record=RECORD)]
    return []


def particulars(prefill: Prefill, application: Application) -> dict:
    """The spouses' and children's fields as printed (DOMAIN.md §2), copied
    from the register now; ID numbers masked (the register keeps the rest)."""
    names = {t: code_map(t) for t in ("ethnicity", "marital_status", "household_registration_type", "sex")}

    def spouse(p: Person, employer: str) -> dict:
        return {
            "name": p.name,
            "id_masked": p.id_masked,
            "birth_date": p.birth_date.isoformat(),
            "ethnicity": names["ethnicity"].get(p.ethnicity, p.ethnicity),
            "marital_status": names["marital_status"].get(p.marital_status, p.marital_status),
            "hukou_type": names["household_registration_type"].get(p.hukou_type, p.hukou_type),
            "registered_code": p.registered_code,
            "residence_code": p.residence_code,
            "address": p.household.address,
            "employer": employer,
            "phone_masked": p.phone_masked,
        }

    assert prefill.husband is not None and prefill.wife is not None and prefill.marriage is not None
    return {
        "husband": spouse(prefill.husband, application.husband_employer),
        "wife": spouse(prefill.wife, application.wife_employer),
        "marriage_date": prefill.marriage.date.isoformat() if prefill.marriage.date else "",
    }


def birth_registration_apply(
    *, actor, person: Person, application: Application, issue: bool = True
) -> BirthRegistration:
    """A couple's application, received at the actor's township (or its
    village); a township user with `issue` registers it on the spot.

    `person` is either spouse, visible to the actor; the other is found
    through the current marriage in the register. Raises Invalid naming
    every broken rule; Conflict when the child is registered already."""
    office = acting_township(actor)
    if office is None or not has_capability(actor, Cap.APPLY_DOCUMENTS):
        raise NotPermitted(errors.NOT_YOUR_OFFICE)
    if not person_list_visible_to(user=actor).filter(pk=person.pk).exists():
        raise NotPermitted(errors.PERSON_NOT_VISIBLE)
    prefill = registration_prefill(person=person, child=application.child)
    problems = registration_check(actor=actor, prefill=prefill, application=application, office=office)
    if problems:
        raise Invalid(problems[0].message, problems=problems)
    assert prefill.husband and prefill.wife and prefill.marriage and prefill.derivation
    order = prefill.derivation.birth_order
    issue = issue and has_capability(actor, Cap.ISSUE_DOCUMENTS) and actor.region.level == Level.TOWNSHIP
    now = clock.now()
    child = application.child
    registration = BirthRegistration(
        husband=prefill.husband,
        wife=prefill.wife,
        marriage=prefill.marriage,
        husband_uuid=prefill.husband.uuid,
        wife_uuid=prefill.wife.uuid,
        husband_code=prefill.husband.responsible_code,
        wife_code=prefill.wife.responsible_code,
        issuer_code=office,
        birth_order=order,
        derivation=prefill.derivation.as_list(),
        due_date=application.due_date,
        child=child,
        child_uuid=child.uuid if child is not None else None,
        late=child is not None,
        method=application.method,
        particulars=particulars(prefill, application),
        commitment=application.commitment,
        token=new_token(),
        applied_at=now,
        applied_by=actor,
    )
    try:
        with transaction.atomic():
            _refuse_duplicate(prefill.husband, prefill.wife, order)
            if issue:
                _issue(actor, registration, now)
            registration.save()
            detail = {"transition": "apply", "order": order, "late": registration.late, "issued": issue}
            _audit(actor, Action.CREATE, registration, detail)
    except IntegrityError:
        _refuse_duplicate(prefill.husband, prefill.wife, order)
        raise
    return registration


def _refuse_duplicate(husband: Person, wife: Person, order: int) -> None:
    live = (
        BirthRegistration.objects.filter(husband=husband, wife=wife, birth_order=order)
        .exclude(state=RegistrationState.CANCELLED)
        .first()
    )
    if live is not None:
        raise Conflict(errors.ALREADY_REGISTERED, order=order, number=live.number or "—")


def _issue(actor, registration: BirthRegistration, now) -> None:
    registration.number = next_number(DocumentKind.BIRTH_REGISTRATION, registration.issuer_code, now.year)
    registration.state = RegistrationState.ISSUED
    registration.issued_at, registration.issued_by = now, actor


def _locked(registration: BirthRegistration) -> BirthRegistration:
    return BirthRegistration.objects.select_for_update().get(pk=registration.pk)


def may_issue(actor, registration: BirthRegistration) -> bool:
    """Only the receiving township (its own users) registers and cancels;
    the county over it may cancel."""
    region = getattr(actor, "region", None)
    if not has_capability(actor, Cap.ISSUE_DOCUMENTS) or region is None:
        return False
    own = region.level == Level.TOWNSHIP and region.code == registration.issuer_code
    return own or (region.level == Level.COUNTY and registration.issuer_code.startswith(region.prefix))


def check_issuer(actor, registration: BirthRegistration) -> None:
    if not may_issue(actor, registration):
        raise NotPermitted(errors.NOT_YOUR_OFFICE)


def birth_registration_issue(*, actor, registration: BirthRegistration) -> BirthRegistration:
    """The township registers an application received by a village or online."""
    with transaction.atomic():
        registration = _locked(registration)
        check_issuer(actor, registration)
        if actor.region.level != Level.TOWNSHIP:
            raise NotPermitted(errors.NOT_YOUR_OFFICE)
        if registration.state != RegistrationState.APPLIED:
            raise Conflict(errors.NOT_APPLIED)
        _issue(actor, registration, clock.now())
        registration.version += 1
        registration.save(update_fields=["number", "state", "issued_at", "issued_by", "version"])
        _audit(actor, Action.UPDATE, registration, {"transition": "issue", "number": registration.number})
    return registration


def birth_registration_cancel(
    *, actor, registration: BirthRegistration, reason: str, note: str = ""
) -> BirthRegistration:
    """Cancel a registration made in error or by fraud; its number stays
    used (and shown as cancelled on the verification page)."""
    if reason not in CancelReason.values:
        raise Invalid(errors.REASON_REQUIRED, problems=[_problem(errors.REASON_REQUIRED, "reason", "reason")])
    if reason == CancelReason.OTHER and not note.strip():
        raise Invalid(errors.NOTE_REQUIRED, problems=[_problem(errors.NOTE_REQUIRED, "note", "reason")])
    with transaction.atomic():
        registration = _locked(registration)
        check_issuer(actor, registration)
        if registration.state == RegistrationState.CANCELLED:
            raise Conflict(errors.NOT_CANCELLABLE)
        registration.state = RegistrationState.CANCELLED
        registration.cancelled_at, registration.cancelled_by = clock.now(), actor
        registration.cancel_reason, registration.cancel_note = reason, note.strip()
        registration.version += 1
        registration.save(
            update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason", "cancel_note", "version"]
        )
        _audit(actor, Action.UPDATE, registration, {"transition": "cancel", "reason": reason})
    return registration


def registration_link_birth(*, actor, registration: BirthRegistration, child: Person) -> BirthRegistration:
    """Link the child whose birth the register has recorded to its registration."""
    with transaction.atomic():
        registration = _locked(registration)
        registration.child, registration.child_uuid = child, child.uuid
        registration.version += 1
        registration.save(update_fields=["child", "child_uuid", "version"])
        _audit(actor, Action.UPDATE, registration, {"transition": "link_birth", "child": child.pk})
    return registration


def _audit(actor, action, registration: BirthRegistration, detail: dict) -> None:
    audit_record(actor=actor, action=action, obj=registration, region_code=registration.issuer_code, detail=detail)
