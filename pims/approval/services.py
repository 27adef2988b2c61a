"""Writes of the month approval, one service per step

    open ──approve (township reviewer)──▶ approved ──accept (county)──▶ accepted
      ▲                                     │  ▲                          │
      └──────── unapprove (with reason) ────┘  └── unaccept (with reason) ┘

Approving needs the month finished and its work done (selectors.open_work);
an approved or accepted month is locked (selectors.period_locked). An
acceptance the province has acknowledged (uploaded) cannot be withdrawn:
corrections go into a later month. Every step locks the row, checks state
and role, and writes its audit row in its transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.periods import is_period
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.models import Region

from . import errors, selectors
from .models import ApprovalState, PeriodApproval


def period_approve(*, actor, township: Region, period: str) -> PeriodApproval:
    if not selectors.may_approve(actor, township):
        raise NotPermitted(errors.NOT_YOURS)
    _check_period(period)
    with transaction.atomic():
        approval = _locked_row(township, period)
        if approval.state != ApprovalState.OPEN:
            raise Conflict(errors.NOT_OPEN)
        work = selectors.open_work(township, period)
        if not work.empty:
            raise Conflict(errors.OPEN_WORK, region=township.name, period=period, items="；".join(work.items()))
        approval.state = ApprovalState.APPROVED
        approval.approved_by, approval.approved_at = actor, clock.now()
        _save(actor, approval, "approve")
    return approval


def period_unapprove(*, actor, township: Region, period: str, reason: str) -> PeriodApproval:
    if not selectors.may_approve(actor, township):
        raise NotPermitted(errors.NOT_YOURS)
    reason = _reason(reason)
    with transaction.atomic():
        approval = _locked_row(township, period)
        if approval.state != ApprovalState.APPROVED:
            raise Conflict(errors.NOT_APPROVED)
        approval.state = ApprovalState.OPEN
        approval.approved_by, approval.approved_at, approval.withdrawn_reason = None, None, reason
        _save(actor, approval, "unapprove")
    return approval


def period_accept(*, actor, township: Region, period: str) -> PeriodApproval:
    if not selectors.may_accept(actor, township):
        raise NotPermitted(errors.NOT_YOURS)
    _check_period(period)
    with transaction.atomic():
        approval = _locked_row(township, period)
        if approval.state != ApprovalState.APPROVED:
            raise Conflict(errors.NOT_APPROVED)
        approval.state = ApprovalState.ACCEPTED
        approval.accepted_by, approval.accepted_at = actor, clock.now()
        _save(actor, approval, "accept")
    return approval


def period_unaccept(*, actor, township: Region, period: str, reason: str) -> PeriodApproval:
    """Back to approved, so the township can withdraw its approval if needed."""
    if not selectors.may_accept(actor, township):
        raise NotPermitted(errors.NOT_YOURS)
    reason = _reason(reason)
    with transaction.atomic():
        approval = _locked_row(township, period)
        if approval.state != ApprovalState.ACCEPTED:
            raise Conflict(errors.NOT_ACCEPTED)
        if approval.uploaded_at is not None:
            raise Conflict(errors.ALREADY_UPLOADED)
        approval.state = ApprovalState.APPROVED
        approval.accepted_by, approval.accepted_at, approval.withdrawn_reason = None, None, reason
        _save(actor, approval, "unaccept")
    return approval


def _check_period(period: str) -> None:
    if not selectors.valid_period(period):
        template = errors.PERIOD_NOT_OVER if is_period(period) else errors.PERIOD_INVALID
        message = template % {"period": period[:10]}
        raise Invalid(template, problems=[Problem(str(message), field="period", record="approval")], period=period[:10])


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            errors.REASON_REQUIRED, problems=[Problem(str(errors.REASON_REQUIRED), field="reason", record="approval")]
        )
    return reason


def _locked_row(township: Region, period: str) -> PeriodApproval:
    """The month's row under a row lock, created open when first touched."""
    try:
        with transaction.atomic():
            PeriodApproval.objects.get_or_create(
                region_code=township.code, period=period, defaults={"region": township}
            )
    except IntegrityError:
        pass  # created meanwhile by a concurrent step
    return PeriodApproval.objects.select_for_update().get(region_code=township.code, period=period)


def _save(actor, approval: PeriodApproval, step: str) -> None:
    approval.version += 1
    approval.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=approval,
        region_code=approval.region_code,
        detail={"step": step, "period": approval.period, "state": approval.state},
    )
