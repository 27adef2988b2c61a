"""The public verification of an issued document (DESIGN.md §8).

The QR code on a document holds only the URL of its verification page,
`/v/<token>/`, with a 256-bit random token. The page needs no sign-in and
answers the document type, number, issuer, date, status and masked holder
fields — never more. An unknown, malformed or not-yet-issued token gets the
same "not found" answer. Every lookup is audited with the address and time;
an address that looks up more than `LOOKUPS_PER_MINUTE` in a minute is
refused for the rest of it (counted from the audit rows, so every worker
process sees the same count).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pims.audit.models import Action, AuditEntry
from pims.audit.services import audit_record
from pims.lib.errors import Refused
from pims.lib.masking import mask_id_public, mask_name

from .models import BirthRegistration, DocumentKind, HonourCertificate, HonourState, RegistrationState

# Not a policy value: a guard against enumeration, set with the operators.
LOOKUPS_PER_MINUTE = 20
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

TOO_MANY = _("查询过于频繁，请稍后再试")


class TooManyLookups(Refused):
    status = 429


@dataclass(frozen=True)
class PublicFacts:
    """What the public page shows, and nothing else."""

    kind: str
    kind_label: str
    number: str
    issuer_code: str
    issued_on: dt.date | None
    status: str
    status_label: str
    status_date: dt.date | None
    holders: tuple[tuple[str, str, str], ...]  # (role, masked name, masked ID)


STATUS_LABELS = {
    "valid": _("有效"),
    "cancelled": _("已注销"),
    "revoked": _("已撤销"),
    "expired": _("已过期"),
}


def _registration_facts(r: BirthRegistration) -> PublicFacts:
    cancelled = r.state == RegistrationState.CANCELLED
    status = "cancelled" if cancelled else "valid"
    holders = tuple(
        (str(role), mask_name(p.get("name", "")), mask_id_public(p.get("id_masked", "")))
        for role, p in ((_("男方"), r.particulars.get("husband", {})), (_("女方"), r.particulars.get("wife", {})))
    )
    return PublicFacts(
        kind=DocumentKind.BIRTH_REGISTRATION,
        kind_label=str(DocumentKind.BIRTH_REGISTRATION.label),
        number=r.number,
        issuer_code=r.issuer_code,
        issued_on=timezone.localdate(r.issued_at) if r.issued_at else None,
        status=status,
        status_label=str(STATUS_LABELS[status]),
        status_date=timezone.localdate(r.cancelled_at) if cancelled and r.cancelled_at else None,
        holders=holders,
    )


def _honour_facts(c: HonourCertificate) -> PublicFacts:
    revoked = c.state == HonourState.REVOKED
    status = "revoked" if revoked else "valid"
    p = c.particulars
    holders = tuple(
        (str(role), mask_name(p.get(key, {}).get("name", "")), mask_id_public(p.get(key, {}).get("id_masked", "")))
        for role, key in ((_("父亲"), "father"), (_("母亲"), "mother"), (_("子女"), "child"))
    )
    return PublicFacts(
        kind=DocumentKind.HONOUR_CERTIFICATE,
        kind_label=str(DocumentKind.HONOUR_CERTIFICATE.label),
        number=c.number,
        issuer_code=c.issuer_code,
        issued_on=timezone.localdate(c.county_at) if c.county_at else None,
        status=status,
        status_label=str(STATUS_LABELS[status]),
        status_date=timezone.localdate(c.revoked_at) if revoked and c.revoked_at else None,
        holders=holders,
    )


def _find(token: str) -> tuple[PublicFacts | None, object]:
    if not TOKEN_RE.match(token or ""):
        return None, None
    r = BirthRegistration.objects.filter(token=token).exclude(number="").first()
    if r is not None:
        return _registration_facts(r), r
    c = HonourCertificate.objects.filter(token=token).exclude(number="").first()
    if c is not None:
        return _honour_facts(c), c
    return None, None


def document_verify(*, token: str, ip: str | None) -> PublicFacts | None:
    """The public facts of the document with this token, or None; audited.
    Raises TooManyLookups past the address's limit for the minute."""
    now = timezone.now()  # the audit rows' real time: a security mechanism keeps the real clock
    with transaction.atomic():
        if ip:
            since = now - dt.timedelta(minutes=1)
            recent = AuditEntry.objects.filter(action=Action.VERIFY, ip=ip, at__gte=since).count()
            if recent >= LOOKUPS_PER_MINUTE:
                raise TooManyLookups(TOO_MANY)
        facts, obj = _find(token)
        detail: dict = {"found": facts is not None}
        if facts is not None:
            detail |= {"kind": facts.kind, "number": facts.number, "status": facts.status}
        region = facts.issuer_code if facts is not None else ""
        audit_record(actor=None, action=Action.VERIFY, obj=obj, region_code=region, detail=detail, ip=ip)
    return facts
