"""Quality sampling (质量抽查): draw households from a village's collected
forms, record what re-checking each one found, and read the error rates.

A draw is reproducible: the frame is the village's submitted and approved
active households ordered by primary key, and `random.Random(seed)` picks
from it, so the same seed over the same frame gives the same households. The
seed is stored with the draw and shown on its page.

Only reviewers (Cap.REVIEW) whose jurisdiction contains the village may draw
or record; for everyone else the draw does not exist (404 in the views).
"""

import math
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Invalid, NotPermitted
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope, scope_q

from . import errors
from .models import FormState, Household
from .models.sampling import SampleDraw, SampleItem

# Forms a reviewer can re-check against the family: those the clerk has
# finished (drafts are still being filled in).
FRAME_STATES = (FormState.SUBMITTED, FormState.APPROVED)
SEED_MAX = 2**53  # fits a BigIntegerField and a JavaScript number


class SamplingError(Invalid):
    """Input to a draw or a record that cannot be accepted (message for the user)."""


def can_sample(user) -> bool:
    return has_capability(user, Cap.REVIEW)


def _check_reviewer(actor, code: str) -> None:
    if not can_sample(actor) or not code_in_scope(actor, code):
        raise NotPermitted(errors.SAMPLE_NOT_YOURS)


def sample_frame(village: Region) -> QuerySet[Household]:
    return Household.objects.filter(
        village=village, status=Household.Status.ACTIVE, form_state__in=FRAME_STATES
    ).order_by("pk")


def sample_size(frame_size: int, *, count=None, percent=None) -> int:
    """How many households a request asks for, within the frame: a percent
    rounds up (at least one household from a non-empty frame)."""
    if (count is None) == (percent is None):
        raise SamplingError(errors.SAMPLE_SIZE_MISSING)
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise SamplingError(errors.SAMPLE_COUNT_INVALID)
        return min(count, frame_size)
    pct = parse_percent(percent)
    return min(frame_size, max(1, math.ceil(frame_size * pct / 100))) if frame_size else 0


def parse_percent(percent) -> Decimal:
    """A percent in (0, 100], kept to two decimals as stored."""
    try:
        pct = Decimal(str(percent).strip())
        if pct.is_finite():
            pct = pct.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise SamplingError(errors.SAMPLE_PERCENT_INVALID) from None
    if not pct.is_finite() or pct <= 0 or pct > 100:
        raise SamplingError(errors.SAMPLE_PERCENT_INVALID)
    return pct


def pick(pks: list[int], k: int, seed: int) -> list[int]:
    """The households a seed selects, in drawing order (pure: same input, same output)."""
    return random.Random(seed).sample(sorted(pks), k)


def sample_draw(
    *, actor, village: Region, count: int | None = None, percent=None, seed: int | None = None
) -> SampleDraw:
    """Draw `count` households (or `percent` of the frame) from the village's
    collected forms. Without a seed one is chosen at random and stored."""
    if village.level != Level.VILLAGE:
        raise SamplingError(errors.SAMPLE_NOT_VILLAGE)
    _check_reviewer(actor, village.code)
    if seed is None:
        seed = secrets.randbelow(SEED_MAX)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_MAX:
        raise SamplingError(errors.SAMPLE_SEED_INVALID)
    with transaction.atomic():
        pks = list(sample_frame(village).values_list("pk", flat=True))
        if not pks:
            raise SamplingError(errors.SAMPLE_FRAME_EMPTY)
        k = sample_size(len(pks), count=count, percent=percent)
        draw = SampleDraw.objects.create(
            village=village,
            region_code=village.code,
            drawn_by=actor,
            seed=seed,
            requested_count=count,
            requested_percent=parse_percent(percent) if percent is not None else None,
            frame_size=len(pks),
            drawn_at=clock.now(),
        )
        SampleItem.objects.bulk_create(
            SampleItem(draw=draw, position=i, household_id=pk) for i, pk in enumerate(pick(pks, k, seed), start=1)
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=draw,
            region_code=village.code,
            detail={"seed": seed, "frame": len(pks), "drawn": k},
        )
    return draw


def sample_record(*, actor, item: SampleItem, items_checked: int, items_wrong: int, note: str = "") -> SampleItem:
    """Record the result of re-checking one drawn household. Recording again
    replaces the earlier result (the audit log keeps both)."""
    _check_reviewer(actor, item.draw.region_code)
    for value in (items_checked, items_wrong):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SamplingError(errors.SAMPLE_COUNTS_INVALID)
    if items_checked < 1:
        raise SamplingError(errors.SAMPLE_CHECKED_TOO_FEW)
    if items_wrong > items_checked:
        raise SamplingError(errors.SAMPLE_WRONG_TOO_MANY)
    with transaction.atomic():
        item = SampleItem.objects.select_for_update().get(pk=item.pk)
        item.items_checked, item.items_wrong = items_checked, items_wrong
        item.note = (note or "").strip()
        item.checked_by, item.checked_at = actor, clock.now()
        item.save(update_fields=["items_checked", "items_wrong", "note", "checked_by", "checked_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=item,
            region_code=item.draw.region_code,
            detail={"items_checked": items_checked, "items_wrong": items_wrong},
        )
    return item


# --- reads -------------------------------------------------------------------


def draw_list_visible_to(*, user) -> QuerySet[SampleDraw]:
    if not can_sample(user):
        return SampleDraw.objects.none()
    return SampleDraw.objects.filter(scope_q(user, "region_code"))


def access_draw(user, pk) -> SampleDraw:
    try:
        return draw_list_visible_to(user=user).select_related("village", "drawn_by").get(pk=pk)
    except (SampleDraw.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_sample_item(user, pk) -> SampleItem:
    try:
        return (
            SampleItem.objects.filter(draw__in=draw_list_visible_to(user=user))
            .select_related("draw", "household")
            .get(pk=pk)
        )
    except (SampleItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class ErrorRate:
    """Figures over the checked items of a draw or a village.

    `item_rate` = items wrong / items checked (差错率);
    `household_rate` = households with any error / households checked.
    """

    drawn: int
    households_checked: int
    households_wrong: int
    items_checked: int
    items_wrong: int

    @property
    def item_rate(self) -> float | None:
        return self.items_wrong / self.items_checked if self.items_checked else None

    @property
    def household_rate(self) -> float | None:
        return self.households_wrong / self.households_checked if self.households_checked else None


def _rate_aggregates(distinct_households: bool) -> dict:
    checked = Q(checked_at__isnull=False)
    return {
        "drawn": Count("household", distinct=distinct_households),
        "households_checked": Count("household", filter=checked, distinct=distinct_households),
        "households_wrong": Count("household", filter=checked & Q(items_wrong__gt=0), distinct=distinct_households),
        "items_checked_sum": Sum("items_checked", filter=checked),
        "items_wrong_sum": Sum("items_wrong", filter=checked),
    }


def _rate(row: dict) -> ErrorRate:
    return ErrorRate(
        drawn=row["drawn"],
        households_checked=row["households_checked"],
        households_wrong=row["households_wrong"],
        items_checked=row["items_checked_sum"] or 0,
        items_wrong=row["items_wrong_sum"] or 0,
    )


def error_rates_by_draw(draws: QuerySet[SampleDraw]) -> dict[int, ErrorRate]:
    """{draw id: ErrorRate} in one GROUP BY query (pass a scoped queryset)."""
    rows = SampleItem.objects.filter(draw__in=draws).values("draw_id").annotate(**_rate_aggregates(False))
    return {r["draw_id"]: _rate(r) for r in rows.order_by()}


def error_rates_by_village(*, user) -> list[tuple[Region, ErrorRate]]:
    """Per village over all its draws visible to the user; a household drawn
    twice counts once among the households (its items count each time)."""
    rows = (
        SampleItem.objects.filter(draw__in=draw_list_visible_to(user=user))
        .values("draw__village_id")
        .annotate(**_rate_aggregates(True))
        .order_by()
    )
    rates = {r["draw__village_id"]: _rate(r) for r in rows}
    villages = Region.objects.filter(pk__in=rates).order_by("code")
    return [(v, rates[v.pk]) for v in villages]
