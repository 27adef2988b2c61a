"""The exchange's work-queue sources (see pims.web.queues): messages
delivered to the user's node and not yet done (due date first), and, for a
routing node, messages waiting for it to forward."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.accounts.roles import Cap, has_capability
from pims.web.queues import QueueItem, register_source

from . import selectors
from .models import Priority

LIMIT = 50


def _items(user, queue: str, title: str) -> list[QueueItem]:
    rows = selectors.queue(user, queue).order_by("due_date", "-created_at")[:LIMIT]
    return [
        QueueItem(
            key=f"exchange.{queue}:{m.pk}:{m.version}",
            title=title
            % {"kind": m.get_kind_display(), "topic": m.get_topic_display(), "name": m.payload.get("name", "")},
            url=reverse("exchange:message_detail", args=[m.pk]),
            created=m.sent_at or m.created_at,
            due=m.due_date,
            urgent=m.priority == Priority.URGENT,
        )
        for m in rows
    ]


def messages_due(user) -> list[QueueItem]:
    """Messages to the user's node awaiting receipt, an answer or the handover list's confirmation."""
    if not has_capability(user, Cap.EXCHANGE):
        return []
    return _items(user, "inbox", _("%(kind)s（%(topic)s）%(name)s：请签收并办理"))


def messages_to_route(user) -> list[QueueItem]:
    if not has_capability(user, Cap.ROUTE_EXCHANGE):
        return []
    return _items(user, "route", _("%(kind)s（%(topic)s）%(name)s：待转递"))


def register() -> None:
    register_source("exchange.due", gettext_lazy("待办的交换信息"), messages_due)
    register_source("exchange.route", gettext_lazy("待转递的交换信息"), messages_to_route)
