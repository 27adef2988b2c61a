"""The link between a birth the register records and the couple's 生育登记
(issue 16.1): called by the events' approval services, inside their
transaction, after the events are applied (so the child exists).

A birth whose father, mother and 孩次 match a live registration that awaits
its child is linked to it (and the registration shows the child, the
child's timeline the registration). A birth of a mother (or father) whose
awaiting registration does not match — another father, another 孩次 — is
not linked: the registration keeps the birth as a mismatch for its township
to link or dismiss (a work-queue item), never a silent change.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from pims.audit.models import Action
from pims.lib.errors import Conflict
from pims.registry.models import Birth, Person

from . import counting, errors, selectors
from .models import BirthRegistration, RegistrationState
from .services import _audit, _locked, check_issuer

BIRTH = "birth"


def registrations_link_births(*, actor, events) -> list[BirthRegistration]:
    """Link (or hold as mismatches) the births among `events`; returns the
    registrations changed."""
    # The handler set each birth event's person to the new child (saved since).
    children = [e.person.pk for e in events if e.event_type == BIRTH and e.person is not None]
    if not children:
        return []
    births = Birth.objects.filter(child_id__in=children).select_related("child", "mother", "father")
    changed = []
    for birth in births.order_by("child__birth_date", "child_id"):
        changed += _link_one(actor, birth)
    return changed


def _awaiting(birth: Birth):
    """Live registrations of either parent still waiting for their child."""
    parents = Q(wife_id=birth.mother_id)
    if birth.father_id:
        parents |= Q(husband_id=birth.father_id)
    return BirthRegistration.objects.filter(parents, child__isnull=True).exclude(state=RegistrationState.CANCELLED)


def _link_one(actor, birth: Birth) -> list[BirthRegistration]:
    child = birth.child
    match = selectors.registration_for_child(child)
    if match is not None and match.child_id is None:
        return [_link(actor, match, child, "link_birth")]
    if match is not None:
        return []
    held = []
    for registration in _awaiting(birth):
        reason = mismatch_reason(registration, birth)
        registration = _locked(registration)
        registration.mismatch_child, registration.mismatch_reason = child, reason
        registration.version += 1
        registration.save(update_fields=["mismatch_child", "mismatch_reason", "version"])
        _audit(actor, Action.UPDATE, registration, {"transition": "birth_mismatch", "child": child.pk})
        held.append(registration)
    return held


def mismatch_reason(registration: BirthRegistration, birth: Birth) -> str:
    """Why the birth is not this registration's child, as the page says it."""
    if birth.father_id != registration.husband_id or birth.mother_id != registration.wife_id:
        return str(errors.MISMATCH_PARENTS)
    order = counting.derive(registration.husband, registration.wife, child=birth.child).birth_order
    return str(errors.MISMATCH_ORDER) % {"registered": registration.birth_order, "born": order}


def _link(actor, registration: BirthRegistration, child: Person, transition: str) -> BirthRegistration:
    registration = _locked(registration)
    registration.child, registration.child_uuid = child, child.uuid
    registration.mismatch_child, registration.mismatch_reason = None, ""
    registration.version += 1
    registration.save(update_fields=["child", "child_uuid", "mismatch_child", "mismatch_reason", "version"])
    _audit(actor, Action.UPDATE, registration, {"transition": transition, "child": child.pk})
    return registration


def registration_resolve_mismatch(*, actor, registration: BirthRegistration, link: bool) -> BirthRegistration:
    """The township links the held birth to the registration after all, or
    dismisses it (the registration keeps waiting for its child)."""
    with transaction.atomic():
        registration = _locked(registration)
        check_issuer(actor, registration)
        if registration.mismatch_child_id is None or registration.child_id is not None:
            raise Conflict(errors.NO_MISMATCH)
        if registration.state == RegistrationState.CANCELLED:
            raise Conflict(errors.NOT_CANCELLABLE)
        if link:
            child = Person.objects.get(pk=registration.mismatch_child_id)
            if BirthRegistration.objects.filter(child=child).exclude(state=RegistrationState.CANCELLED).exists():
                raise Conflict(errors.CHILD_LINKED_ELSEWHERE)
            return _link(actor, registration, child, "link_birth_confirmed")
        registration.mismatch_child, registration.mismatch_reason = None, ""
        registration.version += 1
        registration.save(update_fields=["mismatch_child", "mismatch_reason", "version"])
        _audit(actor, Action.UPDATE, registration, {"transition": "birth_mismatch_dismissed"})
    return registration
