"""The documents JSON API: 生育登记 and 光荣证 — list, read, apply, issue or
review per step, cancel or revoke, verify. Reads go through the same scoped
selectors as the pages, writes through the same services; refusals are
answered by the API's one mapping (pims.api.errors): 404 outside the
caller's region or role, 409 wrong state, 422 a broken rule naming field
and rule."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from django.http import Http404
from ninja import Field, Router, Schema, Status

from pims.accounts.roles import Cap, has_capability
from pims.api.errors import refusals
from pims.lib.identity import UUID_DESCRIPTION
from pims.registry.selectors import access_person

from . import honour_services, selectors, services, verification

router = Router(tags=["documents"])
Pk = Annotated[int, Field(ge=1, le=2**63 - 1)]


class RegistrationOut(Schema):
    id: int
    uuid: UUID = Field(description=UUID_DESCRIPTION)
    state: str
    number: str
    birth_order: int
    late: bool
    due_date: dt.date | None
    issuer_code: str
    husband_uuid: UUID
    wife_uuid: UUID
    child_uuid: UUID | None
    derivation: list[dict]


class RegistrationIn(Schema):
    person_id: Pk
    due_date: dt.date | None = None
    child_id: Pk | None = None
    method: str = "on_site"
    husband_employer: str = ""
    wife_employer: str = ""
    commitment: bool = False


class CancelIn(Schema):
    reason: str
    note: str = ""


class HonourOut(Schema):
    id: int
    uuid: UUID = Field(description=UUID_DESCRIPTION)
    state: str
    number: str
    region_code: str
    husband_uuid: UUID
    wife_uuid: UUID
    child_uuid: UUID
    eligibility: list[dict]
    reward_from: dt.date | None
    reward_to: dt.date | None


class HonourIn(Schema):
    child_id: Pk
    commitment: bool = False
    comment: str = ""


class StepIn(Schema):
    approve: bool
    comment: str = ""


class RevokeIn(Schema):
    reason: str
    note: str = ""


class VerifyOut(Schema):
    kind: str
    number: str
    issuer_code: str
    issued_on: dt.date | None
    status: str
    status_date: dt.date | None
    holders: list[list[str]]


def _require(user, cap: str) -> None:
    if not has_capability(user, cap):
        raise Http404


@router.get("/registrations", response=list[RegistrationOut], url_name="documents_registration_list")
def registration_list(request, state: str = ""):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    qs = selectors.registration_list_visible_to(user=request.user)
    return list(qs.filter(state=state)[:200] if state else qs[:200])


@router.get("/registrations/{pk}", response=RegistrationOut, url_name="documents_registration_get")
def registration_get(request, pk: Pk):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    return selectors.access_registration(request.user, pk)


@router.post(
    "/registrations",
    response={201: RegistrationOut, **refusals(404, 409, 422)},
    url_name="documents_registration_apply",
)
def registration_apply(request, data: RegistrationIn):
    _require(request.user, Cap.APPLY_DOCUMENTS)
    person = access_person(request.user, data.person_id)
    child = access_person(request.user, data.child_id) if data.child_id else None
    application = services.Application(
        due_date=data.due_date,
        child=child,
        method=data.method,
        husband_employer=data.husband_employer,
        wife_employer=data.wife_employer,
        commitment=data.commitment,
    )
    return Status(201, services.birth_registration_apply(actor=request.user, person=person, application=application))


@router.post(
    "/registrations/{pk}/issue",
    response={200: RegistrationOut, **refusals(404, 409)},
    url_name="documents_registration_issue",
)
def registration_issue(request, pk: Pk):
    registration = selectors.access_registration(request.user, pk)
    return services.birth_registration_issue(actor=request.user, registration=registration)


@router.post(
    "/registrations/{pk}/cancel",
    response={200: RegistrationOut, **refusals(404, 409, 422)},
    url_name="documents_registration_cancel",
)
def registration_cancel(request, pk: Pk, data: CancelIn):
    registration = selectors.access_registration(request.user, pk)
    return services.birth_registration_cancel(
        actor=request.user, registration=registration, reason=data.reason, note=data.note
    )


@router.get("/honour", response=list[HonourOut], url_name="documents_honour_list")
def honour_list(request, state: str = ""):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    qs = selectors.honour_list_visible_to(user=request.user)
    return list(qs.filter(state=state)[:200] if state else qs[:200])


@router.get("/honour/{pk}", response=HonourOut, url_name="documents_honour_get")
def honour_get(request, pk: Pk):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    return selectors.access_honour(request.user, pk)


@router.post("/honour", response={201: HonourOut, **refusals(404, 409, 422)}, url_name="documents_honour_apply")
def honour_apply(request, data: HonourIn):
    _require(request.user, Cap.APPLY_DOCUMENTS)
    child = access_person(request.user, data.child_id)
    cert = honour_services.honour_apply(
        actor=request.user, child=child, commitment=data.commitment, comment=data.comment
    )
    return Status(201, cert)


@router.post(
    "/honour/{pk}/township", response={200: HonourOut, **refusals(404, 409, 422)}, url_name="documents_honour_township"
)
def honour_township(request, pk: Pk, data: StepIn):
    cert = selectors.access_honour(request.user, pk)
    return honour_services.honour_township_review(
        actor=request.user, cert=cert, approve=data.approve, comment=data.comment
    )


@router.post(
    "/honour/{pk}/county", response={200: HonourOut, **refusals(404, 409, 422)}, url_name="documents_honour_county"
)
def honour_county(request, pk: Pk, data: StepIn):
    cert = selectors.access_honour(request.user, pk)
    return honour_services.honour_county_approve(
        actor=request.user, cert=cert, approve=data.approve, comment=data.comment
    )


@router.post(
    "/honour/{pk}/revoke", response={200: HonourOut, **refusals(404, 409, 422)}, url_name="documents_honour_revoke"
)
def honour_revoke(request, pk: Pk, data: RevokeIn):
    cert = selectors.access_honour(request.user, pk)
    return honour_services.honour_revoke(actor=request.user, cert=cert, reason=data.reason, note=data.note)


@router.get("/verify/{token}", response={200: VerifyOut, **refusals(404, 429)}, url_name="documents_verify")
def verify(request, token: str):
    """What the public verification page answers, for staff systems (masked holders only)."""
    from pims.audit.services import client_ip

    facts = verification.document_verify(token=token, ip=client_ip(request))
    if facts is None:
        raise Http404
    return {
        "kind": facts.kind,
        "number": facts.number,
        "issuer_code": facts.issuer_code,
        "issued_on": facts.issued_on,
        "status": facts.status,
        "status_date": facts.status_date,
        "holders": [list(h) for h in facts.holders],
    }
