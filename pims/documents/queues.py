"""The documents' work-queue sources (pims.web.queues): what waits for whom."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Level

from . import selectors
from .models import HonourState, RegistrationState

LIMIT = 50


def _level(user) -> str | None:
    region = getattr(user, "region", None)
    return region.level if region is not None else None


def registrations_to_issue(user):
    """Township: applications a village (or online) received, to register."""
    from pims.web.queues import QueueItem

    if not has_capability(user, Cap.ISSUE_DOCUMENTS) or _level(user) != Level.TOWNSHIP:
        return []
    qs = selectors.registration_list_visible_to(user=user).filter(
        state=RegistrationState.APPLIED, issuer_code=user.region.code
    )
    return [
        QueueItem(
            key=f"documents.registration:{r.pk}:{r.version}",
            title=str(_("生育登记待登记：%(h)s、%(w)s")) % {"h": r.husband.name, "w": r.wife.name},
            url=reverse("documents:registration_detail", args=[r.pk]),
            created=r.applied_at,
        )
        for r in qs.select_related("husband", "wife")[:LIMIT]
    ]


def registrations_mismatched(user):
    """Township: a recorded birth of a couple that does not match its awaiting registration."""
    from pims.web.queues import QueueItem

    if not has_capability(user, Cap.ISSUE_DOCUMENTS) or _level(user) != Level.TOWNSHIP:
        return []
    qs = selectors.registration_list_visible_to(user=user).filter(
        issuer_code=user.region.code, mismatch_child__isnull=False, child__isnull=True
    )
    return [
        QueueItem(
            key=f"documents.registration_mismatch:{r.pk}:{r.version}",
            title=str(_("生育登记 %(number)s 与出生登记不符：%(reason)s"))
            % {"number": r.number or "—", "reason": r.mismatch_reason},
            url=reverse("documents:registration_detail", args=[r.pk]),
            created=r.applied_at,
        )
        for r in qs.exclude(state=RegistrationState.CANCELLED)[:LIMIT]
    ]


def honour_to_review(user):
    """Township: applications from its villages; county: those the townships passed."""
    from pims.web.queues import QueueItem

    level = _level(user)
    if not has_capability(user, Cap.ISSUE_DOCUMENTS) or level not in (Level.TOWNSHIP, Level.COUNTY):
        return []
    state = HonourState.APPLIED if level == Level.TOWNSHIP else HonourState.TOWNSHIP_REVIEWED
    qs = selectors.honour_list_visible_to(user=user).filter(state=state)
    step = _("乡镇审核") if level == Level.TOWNSHIP else _("县级审批")
    return [
        QueueItem(
            key=f"documents.honour:{c.pk}:{c.version}",
            title=str(_("光荣证待%(step)s：%(child)s")) % {"step": step, "child": c.child.name},
            url=reverse("documents:honour_detail", args=[c.pk]),
            created=c.applied_at,
        )
        for c in qs.select_related("child")[:LIMIT]
    ]


def honour_reviews(user):
    """County: issued certificates the register now contradicts (another child)."""
    from pims.web.queues import QueueItem

    if not has_capability(user, Cap.ISSUE_DOCUMENTS) or _level(user) != Level.COUNTY:
        return []
    qs = selectors.honour_needing_review(user=user).select_related("child")
    return [
        QueueItem(
            key=f"documents.honour_review:{c.pk}:{c.version}",
            title=str(_("光荣证 %(number)s 需复核：库中出现其他子女")) % {"number": c.number},
            url=reverse("documents:honour_detail", args=[c.pk]),
            created=c.county_at or c.applied_at,
            urgent=True,
        )
        for c in qs[:LIMIT]
    ]


def register_sources() -> None:
    from pims.web.queues import register_source

    register_source("documents.registrations", _("待登记的生育登记"), registrations_to_issue)
    register_source("documents.registration_mismatch", _("与出生登记不符的生育登记"), registrations_mismatched)
    register_source("documents.honour", _("待审核的光荣证申请"), honour_to_review)
    register_source("documents.honour_review", _("需复核的光荣证"), honour_reviews)
