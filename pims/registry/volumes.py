"""The volume register (装订册, issue 15.14): where each bound volume of paper
collection forms is kept and who holds it, so the system can say where any
household's paper form is. Writes and reads of `Volume`; every list goes
through `volume_list_visible_to` (the user's subtree)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope, scope_q

from . import errors
from .models import Household, Volume

FIELDS = ("number", "kept_at", "holder", "centre_household", "note")
LIMITS = {"number": 30, "kept_at": 120, "holder": 60, "centre_household": 60, "note": 200}
REQUIRED = ("number", "kept_at", "holder")


def may_manage_volumes(user) -> bool:
    """Those who enter the forms register the volumes they bind them in."""
    return has_capability(user, Cap.ENTER_FORMS)


def volume_list_visible_to(*, user) -> QuerySet[Volume]:
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return Volume.objects.none()
    return Volume.objects.filter(scope_q(user, "region_code")).select_related("village")


def access_volume(user, pk) -> Volume:
    try:
        return volume_list_visible_to(user=user).get(pk=pk)
    except (Volume.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def volume_forms(volume: Volume) -> QuerySet[Household]:
    """The households whose paper form is bound in the volume."""
    return Household.objects.filter(village_id=volume.village_id, volume_number=volume.number).order_by("number")


def household_volume(household: Household) -> Volume | None:
    if not household.volume_number:
        return None
    return Volume.objects.filter(village_id=household.village_id, number=household.volume_number).first()


def unregistered_numbers(*, user) -> list[dict]:
    """Volume numbers that forms name but the register lacks, per village: to register."""
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return []
    known = set(volume_list_visible_to(user=user).values_list("village_id", "number"))
    rows = (
        Household.objects.filter(scope_q(user, "region_code"))
        .exclude(volume_number="")
        .values("village_id", "village__name", "volume_number")
        .annotate(n=Count("id"))
        .order_by("village__name", "volume_number")
    )
    return [r for r in rows if (r["village_id"], r["volume_number"]) not in known][:200]


def _clean(data: dict) -> dict:
    values = {f: (data.get(f) or "").strip() for f in FIELDS}
    problems = [Problem(errors.VOLUME_FIELD_REQUIRED, field=f) for f in REQUIRED if not values[f]]
    problems += [Problem(errors.VOLUME_FIELD_TOO_LONG, field=f) for f in FIELDS if len(values[f]) > LIMITS[f]]
    if problems:
        raise Invalid(errors.VOLUME_INVALID, problems=problems)
    return values


def volume_save(*, actor, data: dict, village: Region | None = None, volume: Volume | None = None) -> Volume:
    """Register a volume of `village`, or change where a registered one is
    kept and who holds it (its village and number stay: a volume is never
    split or moved to another village). Audited with the values before and after."""
    if not may_manage_volumes(actor):
        raise NotPermitted(errors.VOLUME_NOT_YOURS)
    values = _clean(data)
    with transaction.atomic():
        if volume is None:
            if village is None or village.level != Level.VILLAGE or not code_in_scope(actor, village.code):
                raise NotPermitted(errors.VOLUME_NOT_YOURS)
            try:
                with transaction.atomic():
                    volume = Volume.objects.create(
                        village=village,
                        region_code=village.code,
                        updated_by=actor,
                        updated_at=clock.now(),
                        **values,
                    )
            except IntegrityError:
                raise Conflict(errors.VOLUME_NUMBER_TAKEN, number=values["number"], village=village.name) from None
            audit_record(actor=actor, action=Action.CREATE, obj=volume, region_code=volume.region_code, detail=values)
            return volume
        locked = Volume.objects.select_for_update().get(pk=volume.pk)
        if not code_in_scope(actor, locked.region_code):
            raise NotPermitted(errors.VOLUME_NOT_YOURS)
        values["number"] = locked.number
        before = {f: getattr(locked, f) for f in FIELDS if getattr(locked, f) != values[f]}
        for f, v in values.items():
            setattr(locked, f, v)
        locked.version += 1
        locked.updated_by, locked.updated_at = actor, clock.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            region_code=locked.region_code,
            detail={"before": before, "after": {f: values[f] for f in before}},
        )
        return locked
