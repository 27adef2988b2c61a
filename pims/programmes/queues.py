"""The programmes' work-queue sources (pims.web.queues): candidates waiting
for the village's review, entries whose 公示 has ended for the township, and
the county's stops (a payee died, moved away or left 特扶) — one item per
cycle with the count."""

from __future__ import annotations

from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.regions.scope import code_in_scope
from pims.web.queues import QueueItem, register_source

from .models import Cycle, Notice, Stage
from .selectors import cycle_list_visible_to, entry_list_visible_to, stops_pending

LIMIT = 10


def _open_cycles(user):
    return cycle_list_visible_to(user=user).filter(state=Cycle.State.OPEN).order_by("-year")[:LIMIT]


def village_review(user) -> list[QueueItem]:
    if not has_capability(user, Cap.PROGRAMME_VILLAGE):
        return []
    out = []
    for cycle in _open_cycles(user):
        agg = entry_list_visible_to(user=user, cycle=cycle).filter(stage=Stage.CANDIDATE).aggregate(n=Count("pk"))
        if agg["n"]:
            out.append(
                QueueItem(
                    key=f"programmes.village:{cycle.pk}:{agg['n']}",
                    title=_("%(cycle)s：%(n)d 名候选对象待村级评议") % {"cycle": cycle, "n": agg["n"]},
                    url=reverse("programmes:entries", args=[cycle.pk]) + "?stage=candidate",
                    created=cycle.opened_at,
                    count=agg["n"],
                )
            )
    return out


def township_review(user) -> list[QueueItem]:
    if not has_capability(user, Cap.PROGRAMME_TOWNSHIP):
        return []
    out = []
    today = clock.today()
    for cycle in _open_cycles(user):
        ended = Notice.objects.filter(cycle=cycle, ends_on__lt=today).values("village_code")
        qs = entry_list_visible_to(user=user, cycle=cycle).filter(stage=Stage.NOTICE, village_code__in=ended)
        agg = qs.aggregate(n=Count("pk"), latest=Max("steps__at"))
        if agg["n"]:
            out.append(
                QueueItem(
                    key=f"programmes.township:{cycle.pk}:{agg['n']}",
                    title=_("%(cycle)s：%(n)d 名对象公示期满，待乡镇初审") % {"cycle": cycle, "n": agg["n"]},
                    url=reverse("programmes:entries", args=[cycle.pk]) + "?stage=notice",
                    created=agg["latest"] or cycle.opened_at,
                    count=agg["n"],
                )
            )
    return out


def county_stops(user) -> list[QueueItem]:
    """Confirmed payees who died, moved away or left 特扶: the next 名册 leaves them out."""
    if not has_capability(user, Cap.PROGRAMME_COUNTY):
        return []
    out = []
    confirmed = cycle_list_visible_to(user=user).filter(state=Cycle.State.CONFIRMED).order_by("-year")[:LIMIT]
    for cycle in confirmed:
        if not code_in_scope(user, cycle.county_code):
            continue
        pending = stops_pending(cycle)
        if pending:
            out.append(
                QueueItem(
                    key=f"programmes.stops:{cycle.pk}:{len(pending)}",
                    title=_("%(cycle)s：%(n)d 名对象待停发（死亡、迁出或不再符合条件）")
                    % {"cycle": cycle, "n": len(pending)},
                    url=reverse("programmes:stops", args=[cycle.pk]),
                    created=cycle.confirmed_at or cycle.opened_at,
                    urgent=True,
                    count=len(pending),
                    detail="、".join(sorted({p.reason_label for p in pending})),
                )
            )
    return out


def register() -> None:
    register_source("programmes.village", gettext_lazy("扶助对象待村级评议"), village_review)
    register_source("programmes.township", gettext_lazy("扶助对象待乡镇初审"), township_review)
    register_source("programmes.stops", gettext_lazy("扶助对象待停发"), county_stops)
