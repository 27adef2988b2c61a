"""Timelines: the documents on a person's timeline
(pims.events.selectors.timeline_source) — the 生育登记 where the person is a
spouse or the child, the 光荣证 where the person is a parent or the child, and
the historic documents they hold, numbers and states only; and the timeline
of one document on its page — applied, reviewed, issued, cancelled or
revoked, linked to a birth, printed — each with who and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from .models import BirthRegistration, HistoricDocument, HonourCertificate, HonourState


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


# --- the timeline of one document, on its page ---------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing that happened to a document: when, what, who, and any comment."""

    at: dt.datetime
    title: str
    who: str
    note: str = ""


def _who(user) -> str:
    return (user.full_name or user.username) if user is not None else "—"


# Transitions recorded only in the audit log (the document's own fields hold the main steps).
AUDITED = {
    "link_birth": "出生登记已关联",
    "link_birth_confirmed": "经核对关联出生登记",
    "birth_mismatch": "出生登记与本登记不符，待核对",
    "birth_mismatch_dismissed": "核对后不关联该出生",
}


def _ordered(obj, main: list[tuple[str, Step]]) -> list[Step]:
    """The document's steps in the order the audit log recorded them: its
    own fields' steps (keyed by the transition that wrote them) and the
    steps only the log holds — links to births, printing (who printed it
    when); never the public lookups. A main step whose audit row is no
    longer in the table (archived) comes first, by its time."""
    from pims.audit.models import Action, AuditEntry

    rows = AuditEntry.objects.filter(
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        action__in=[Action.CREATE, Action.UPDATE, Action.EXPORT],
    ).select_related("actor")
    out: list[Step] = []
    used: set[str] = set()
    for e in rows.order_by("seq"):
        detail = e.detail or {}
        transition = detail.get("transition", "")
        who = _who(e.actor) if e.actor else (e.actor_username or "系统")
        if transition and transition not in used and any(k == transition for k, _s in main):
            out += [step for k, step in main if k == transition]
            used.add(transition)
        elif e.action == Action.EXPORT and detail.get("format") == "pdf":
            out.append(Step(e.at, "打印证件（PDF）", who))
        elif transition in AUDITED:
            out.append(Step(e.at, AUDITED[transition], who))
    missing = sorted((step for k, step in main if k not in used), key=lambda s: s.at)
    return missing + out


def registration_timeline(r: BirthRegistration) -> list[Step]:
    issued_with = "apply" if r.issued_at and r.issued_at == r.applied_at else "issue"
    main = [("apply", Step(r.applied_at, f"受理申请（{r.get_method_display()}）", _who(r.applied_by)))]
    if r.issued_at:
        main.append((issued_with, Step(r.issued_at, f"登记发证，编号 {r.number}", _who(r.issued_by))))
    if r.cancelled_at:
        note = r.cancel_note
        main.append(
            ("cancel", Step(r.cancelled_at, f"注销（{r.get_cancel_reason_display()}）", _who(r.cancelled_by), note))
        )
    return _ordered(r, main)


def honour_timeline(c: HonourCertificate) -> list[Step]:
    main = [("apply", Step(c.applied_at, "村级受理申请", _who(c.applied_by), c.village_comment))]
    if c.township_at:
        passed = c.state != HonourState.REJECTED or c.county_at is not None
        title = "乡镇审核通过" if passed else "乡镇审核不予通过"
        main.append(("township_review", Step(c.township_at, title, _who(c.township_by), c.township_comment)))
    if c.county_at:
        title = f"县级批准发证，证号 {c.number}" if c.number else "县级审批不予通过"
        main.append(("county_approve", Step(c.county_at, title, _who(c.county_by), c.county_comment)))
    if c.revoked_at:
        title = f"撤销（{c.get_revoke_reason_display()}）"
        main.append(("revoke", Step(c.revoked_at, title, _who(c.revoked_by), c.revoke_note)))
    return _ordered(c, main)
