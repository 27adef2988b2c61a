"""The documents on a person's timeline (pims.events.selectors.timeline_source):
the 生育登记 where the person is a spouse or the child, the 光荣证 where the
person is a parent or the child, and the historic documents they hold.
Numbers and states only — the page of each document shows the rest."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from .models import BirthRegistration, HistoricDocument, HonourCertificate


def _day(at):
    return timezone.localdate(at)


def person_documents(person):
    for r in BirthRegistration.objects.filter(Q(husband=person) | Q(wife=person) | Q(child=person)):
        role = "（子女）" if r.child_id == person.pk else ""
        detail = f"第 {r.birth_order} 孩；编号 {r.number or '—'}"
        yield _entry(_day(r.issued_at or r.applied_at), f"生育登记{role}", detail, r.get_state_display())
        if r.cancelled_at:
            yield _entry(_day(r.cancelled_at), f"生育登记注销{role}", f"编号 {r.number or '—'}", "")
    for c in HonourCertificate.objects.filter(Q(husband=person) | Q(wife=person) | Q(child=person)):
        role = "（子女）" if c.child_id == person.pk else ""
        yield _entry(
            _day(c.county_at or c.applied_at),
            f"独生子女父母光荣证{role}",
            f"证号 {c.number or '—'}",
            c.get_state_display(),
        )
        if c.revoked_at:
            yield _entry(_day(c.revoked_at), f"光荣证撤销{role}", c.get_revoke_reason_display(), "")
    for h in HistoricDocument.objects.filter(holder=person):
        detail = "；".join(x for x in (f"证号 {h.number}", h.issuer, h.policy, h.status) if x)
        yield _entry(h.issue_date, f"{h.get_kind_display()}（历史）", detail, "")


def _entry(day, title: str, detail: str, status: str):
    from pims.events.selectors import TimelineEntry

    return TimelineEntry(day=day, kind="document", title=title, detail=detail, status=status)


def register_timeline() -> None:
    from pims.events.selectors import timeline_source

    timeline_source("documents", order=1)(person_documents)
