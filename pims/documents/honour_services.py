"""Writes of the 光荣证: one service per step of its path

    village (or township) ──apply──▶ applied ──township review──▶ township_reviewed
        ──county approval──▶ issued ──revoke (county, with a reason)──▶ revoked
    a step that does not pass ──▶ rejected (with a comment)

Each step records its approver, date and comment, checks state, role and
region under a row lock (two concurrent approvals: one succeeds, the other
gets a 409) and writes its audit row. The county re-judges eligibility on
the register as it is at approval.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.models import Level
from pims.registry.models import Person
from pims.registry.selectors import person_list_visible_to

from . import errors, honour
from .models import DocumentKind, HonourCertificate, HonourState, RevokeReason
from .selectors import current_marriage
from .services import new_token, next_number, township_of

RECORD = "honour_certificate"


def _county_of(code: str) -> str:
    return code[:6] + "000000"


def _judge(husband, wife, marriage, child, commitment) -> list[honour.Check]:
    return honour.eligibility(
        husband=husband, wife=wife, marriage=marriage, child=child, commitment=commitment, today=clock.today()
    )


def _refuse_ineligible(checks: list[honour.Check]) -> None:
    failed = [c for c in checks if not c.passed]
    if failed:
        problems = [Problem(f"{honour.TITLES[c.id]}：{c.reason}", rule=c.id, field=c.id, record=RECORD) for c in failed]
        raise Invalid(errors.NOT_ELIGIBLE, problems=problems, reasons="；".join(c.reason for c in failed))


def _particulars(husband: Person, wife: Person, child: Person) -> dict:
    def person(p: Person) -> dict:
        return {
            "name": p.name,
            "id_masked": p.id_masked,
            "birth_date": p.birth_date.isoformat(),
            "ethnicity": p.ethnicity,
            "hukou_type": p.hukou_type,
            "address": p.household.address,
            "registered_code": p.registered_code,
        }

    return {"father": person(husband), "mother": person(wife), "child": person(child) | {"sex": child.sex}}


def honour_apply(*, actor, child: Person, commitment: bool, comment: str = "") -> HonourCertificate:
    """The couple's application for their child, received by the village
    (or the township for it). The parents are the child's birth record's,
    married to each other now; every condition must pass."""
    region = getattr(actor, "region", None)
    if (
        not has_capability(actor, Cap.APPLY_DOCUMENTS)
        or region is None
        or region.level
        not in (
            Level.VILLAGE,
            Level.TOWNSHIP,
        )
    ):
        raise NotPermitted(errors.NOT_YOUR_OFFICE)
    visible = person_list_visible_to(user=actor).select_related("birth").filter(pk=child.pk).first()
    if visible is None:
        raise NotPermitted(errors.CHILD_NOT_VISIBLE)
    child = visible
    birth = getattr(child, "birth", None)
    mother = birth.mother if birth is not None else None
    marriage = current_marriage(mother) if mother is not None else None
    if marriage is None:
        name = mother.name if mother is not None else child.name
        message = errors.NO_CURRENT_MARRIAGE % {"name": name}
        raise Invalid(message, problems=[Problem(message, rule="married", field="child", record=RECORD)])
    husband, wife = marriage.husband, marriage.wife
    checks = _judge(husband, wife, marriage, child, commitment)
    _refuse_ineligible(checks)
    village = wife.responsible_code if wife.responsible_code.startswith(region.prefix) else husband.responsible_code
    now = clock.now()
    cert = HonourCertificate(
        husband=husband,
        wife=wife,
        child=child,
        marriage=marriage,
        husband_uuid=husband.uuid,
        wife_uuid=wife.uuid,
        child_uuid=child.uuid,
        region_code=village,
        township_code=township_of(village),
        issuer_code=_county_of(village),
        eligibility=[c.as_dict() for c in checks],
        particulars=_particulars(husband, wife, child),
        commitment=commitment,
        token=new_token(),
        applied_at=now,
        applied_by=actor,
        village_comment=comment.strip(),
    )
    try:
        with transaction.atomic():
            _refuse_duplicate(cert)
            cert.save()
            _audit(actor, Action.CREATE, cert, {"transition": "apply"})
    except IntegrityError:
        _refuse_duplicate(cert)
        raise
    return cert


def _refuse_duplicate(cert: HonourCertificate) -> None:
    live = (
        HonourCertificate.objects.filter(husband=cert.husband, wife=cert.wife, child=cert.child)
        .exclude(state__in=[HonourState.REJECTED, HonourState.REVOKED])
        .first()
    )
    if live is not None:
        raise Conflict(errors.HONOUR_EXISTS, number=live.number or str(live.get_state_display()))


def _locked(cert: HonourCertificate) -> HonourCertificate:
    return HonourCertificate.objects.select_for_update().get(pk=cert.pk)


def _acts_at(actor, code: str, level: str) -> bool:
    region = getattr(actor, "region", None)
    return bool(
        region is not None
        and has_capability(actor, Cap.ISSUE_DOCUMENTS)
        and region.level == level
        and region.code == code
    )


def honour_township_review(*, actor, cert: HonourCertificate, approve: bool, comment: str = "") -> HonourCertificate:
    """The township's review (second step)."""
    if not approve and not comment.strip():
        raise Invalid(errors.COMMENT_REQUIRED, problems=[Problem(str(errors.COMMENT_REQUIRED), field="comment")])
    with transaction.atomic():
        cert = _locked(cert)
        if not _acts_at(actor, cert.township_code, Level.TOWNSHIP):
            raise NotPermitted(errors.NOT_YOUR_OFFICE)
        if cert.state != HonourState.APPLIED:
            raise Conflict(errors.NOT_AT_TOWNSHIP)
        cert.state = HonourState.TOWNSHIP_REVIEWED if approve else HonourState.REJECTED
        cert.township_at, cert.township_by, cert.township_comment = clock.now(), actor, comment.strip()
        cert.version += 1
        cert.save()
        _audit(actor, Action.UPDATE, cert, {"transition": "township_review", "approve": approve})
    return cert


def honour_county_approve(*, actor, cert: HonourCertificate, approve: bool, comment: str = "") -> HonourCertificate:
    """The county's approval (third step): eligibility is judged again on
    the register as it is now; the number and the 奖励费 period are set."""
    if not approve and not comment.strip():
        raise Invalid(errors.COMMENT_REQUIRED, problems=[Problem(str(errors.COMMENT_REQUIRED), field="comment")])
    with transaction.atomic():
        cert = _locked(cert)
        if not _acts_at(actor, cert.issuer_code, Level.COUNTY):
            raise NotPermitted(errors.NOT_YOUR_OFFICE)
        if cert.state != HonourState.TOWNSHIP_REVIEWED:
            raise Conflict(errors.NOT_AT_COUNTY)
        now = clock.now()
        if approve:
            checks = _judge(cert.husband, cert.wife, cert.marriage, cert.child, cert.commitment)
            _refuse_ineligible(checks)
            cert.eligibility = [c.as_dict() for c in checks]
            cert.number = next_number(DocumentKind.HONOUR_CERTIFICATE, cert.issuer_code, now.year)
            cert.reward_from, cert.reward_to = honour.reward_period(cert.child, clock.today())
        cert.state = HonourState.ISSUED if approve else HonourState.REJECTED
        cert.county_at, cert.county_by, cert.county_comment = now, actor, comment.strip()
        cert.version += 1
        cert.save()
        _audit(actor, Action.UPDATE, cert, {"transition": "county_approve", "approve": approve, "number": cert.number})
    return cert


def honour_revoke(*, actor, cert: HonourCertificate, reason: str, note: str = "") -> HonourCertificate:
    """Revoke an issued certificate (DOMAIN.md §4 reasons); the number stays used."""
    if reason not in RevokeReason.values:
        raise Invalid(
            errors.REVOKE_REASON_REQUIRED, problems=[Problem(str(errors.REVOKE_REASON_REQUIRED), field="reason")]
        )
    with transaction.atomic():
        cert = _locked(cert)
        if not _acts_at(actor, cert.issuer_code, Level.COUNTY):
            raise NotPermitted(errors.NOT_YOUR_OFFICE)
        if cert.state != HonourState.ISSUED:
            raise Conflict(errors.NOT_REVOCABLE)
        cert.state = HonourState.REVOKED
        cert.revoked_at, cert.revoked_by = clock.now(), actor
        cert.revoke_reason, cert.revoke_note = reason, note.strip()
        cert.version += 1
        cert.save()
        _audit(actor, Action.UPDATE, cert, {"transition": "revoke", "reason": reason})
    return cert


def _audit(actor, action, cert: HonourCertificate, detail: dict) -> None:
    audit_record(actor=actor, action=action, obj=cert, region_code=cert.region_code, detail=detail)
