"""Who sees pregnancy and contraception details, and the audit of each viewing
(issue 14.7: sensitive personal data under PIPL).

Village clerks enter them on the household form and in change reports, but
only roles holding Cap.VIEW_REPRODUCTIVE read them back: for everyone else a
page, list or API answer leaves them out (blank, with a note). Every answer
that shows them to a holder is audited (Action.VIEW_REPRODUCTIVE) — naming the
object, never the values. A form saved by a user who cannot see them keeps
the stored records of every member whose reproductive fields were left blank
(pims.registry.services).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record

# The household form's member columns that hold reproductive data.
MEMBER_FIELDS = ("contraceptive_method", "contraception_start", "pregnant_since")
# What a user without the capability reads instead.
HIDDEN_NOTE = _("生育健康信息仅限有权限的角色查看")


def can_view(user) -> bool:
    return has_capability(user, Cap.VIEW_REPRODUCTIVE)


def rows_hold_any(rows: list[dict]) -> bool:
    return any(r.get(f) for r in rows for f in MEMBER_FIELDS)


def record_viewing(*, actor, obj, region_code: str, what: str, ip: str | None = None) -> None:
    """One audit entry for one answer that showed reproductive data."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.VIEW_REPRODUCTIVE,
            obj=obj,
            region_code=region_code,
            detail={"shown": what},
            ip=ip,
        )


def member_rows_for(user, household, rows: list[dict], *, what: str) -> list[dict]:
    """The household's member rows as `user` may read them: reproductive
    columns blanked without the capability; with it, the showing is audited
    (when there is anything to show)."""
    if not can_view(user):
        return [{**r, **dict.fromkeys(MEMBER_FIELDS, "")} for r in rows]
    if rows_hold_any(rows):
        record_viewing(actor=user, obj=household, region_code=household.region_code, what=what)
    return rows


def _stored_values(person) -> dict[str, str]:
    """The member's current reproductive columns as the household form holds them."""
    contraception = person.contraceptions.filter(end_date__isnull=True).order_by("-start_date", "-pk").first()
    pregnancy = person.pregnancies.filter(ended=False).order_by("-start_date", "-pk").first()
    return {
        "contraceptive_method": contraception.method if contraception else "",
        "contraception_start": contraception.start_date.isoformat() if contraception else "",
        "pregnant_since": pregnancy.start_date.isoformat() if pregnancy else "",
    }


def keep_hidden(actor, members: list[dict], existing: dict) -> list[dict]:
    """A form saved by a user who cannot see the reproductive columns (they
    were sent blank) keeps each stored member's records: blank means "keep",
    as an unchanged masked ID does. A value typed in replaces them."""
    if can_view(actor):
        return members
    out = []
    for m in members:
        stored = existing.get(m.get("row"))
        if stored is not None and not any((m.get(f) or "").strip() for f in MEMBER_FIELDS):
            m = {**m, **_stored_values(stored)}
        out.append(m)
    return out
