"""Reads of the exchange. The scope rule: a user sees the messages to and
from their subtree (sender or receiver node inside it) and nothing else;
a node's queues are built from that."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.regions.scope import scope_q, user_prefix

from . import rules
from .models import Kind, Message, State

OPEN_Q = Q(state__in=[State.SENT, State.FORWARDED]) | Q(state=State.RECEIVED, kind__in=[Kind.INQUIRY, Kind.HANDOVER])


def message_list_visible_to(*, user) -> QuerySet[Message]:
    if not has_capability(user, Cap.VIEW_EXCHANGE) or user_prefix(user) is None:
        return Message.objects.none()
    return Message.objects.filter(scope_q(user, "sender_code") | scope_q(user, "receiver_code"))


def access_message(user, pk) -> Message:
    """The message if the user may see it; 404 for missing and out-of-scope alike."""
    try:
        return message_list_visible_to(user=user).select_related("person", "reply_to").get(pk=pk)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def overdue_q(today: dt.date) -> Q:
    return OPEN_Q & Q(due_date__lt=today)


def due_soon_q(today: dt.date) -> Q:
    return OPEN_Q & Q(due_date__gte=today, due_date__lte=today + dt.timedelta(days=rules.due_soon_days(today)))


def is_overdue(message: Message, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    open_ = message.state in (State.SENT, State.FORWARDED) or (
        message.state == State.RECEIVED and message.kind in (Kind.INQUIRY, Kind.HANDOVER)
    )
    return bool(open_ and message.due_date and message.due_date < today)


QUEUES = ("inbox", "outbox", "route", "due_soon", "overdue", "all")


def queue(user, name: str) -> QuerySet[Message]:
    """One of a node's queues: inbox (delivered to the user's node, not yet
    done), outbox (sent by it), route (waiting for it to forward), due_soon
    (open messages of the subtree due within the parameter's days), overdue
    (open messages of the subtree past their due date), all."""
    qs = message_list_visible_to(user=user)
    code = user.region.code if user_prefix(user) is not None else ""
    if name == "inbox":
        return qs.filter(receiver_code=code).filter(OPEN_Q).exclude(state=State.SENT, forwarding=True)
    if name == "outbox":
        return qs.filter(sender_code=code)
    if name == "route":
        return qs.filter(route_code=code, state=State.SENT, forwarding=True)
    if name == "overdue":
        return qs.filter(overdue_q(clock.today())).order_by("due_date", "pk")
    if name == "due_soon":
        return qs.filter(due_soon_q(clock.today())).order_by("due_date", "pk")
    return qs


def queue_counts(user) -> dict[str, int]:
    today = clock.today()
    counts = message_list_visible_to(user=user).aggregate(
        overdue=Count("pk", filter=overdue_q(today)), due_soon=Count("pk", filter=due_soon_q(today))
    )
    counts["inbox"] = queue(user, "inbox").count()
    counts["route"] = queue(user, "route").count()
    return counts


def with_names(messages: list[Message]) -> list[Message]:
    """Set `sender_name`, `receiver_name` and `route_name` (one query per page)."""
    from pims.search.selectors import region_names

    names = region_names(c for m in messages for c in (m.sender_code, m.receiver_code, m.route_code))
    for m in messages:
        setattr(m, "sender_name", names.get(m.sender_code, m.sender_code))  # noqa: B010 (display-only attributes)
        setattr(m, "receiver_name", names.get(m.receiver_code, m.receiver_code))  # noqa: B010
        setattr(m, "route_name", names.get(m.route_code, m.route_code or "—"))  # noqa: B010
    return messages


def access_handover_list(user, message_pk):
    """The handover list of a 交接 the user may see; 404 otherwise."""
    from .models import HandoverList

    message = access_message(user, message_pk)
    try:
        return HandoverList.objects.select_related("message", "sender_confirmed_by", "receiver_confirmed_by").get(
            message=message
        )
    except HandoverList.DoesNotExist:
        raise Http404 from None


def handover_rows(handover_list) -> list[dict]:
    """The list's persons as printed: codes turned into names (one query per
    table), the ID masked as stored."""
    from pims.codes.selectors import code_map
    from pims.search.selectors import region_names

    entries = list(handover_list.entries.all())
    maps = {t: code_map(t) for t in ("sex", "ethnicity", "household_registration_type", "marital_status")}
    codes = {e.fields.get(k, "") for e in entries for k in ("registered_code", "residence_code")}
    codes |= {e.responsible_before for e in entries} | {e.responsible_after for e in entries}
    codes |= {b.get("paying_code", "") for e in entries for b in e.fields.get("benefits", [])}
    names = region_names(codes)
    rows = []
    for e in entries:
        f = e.fields
        rows.append(
            {
                "entry": e,
                "f": f,
                "sex": maps["sex"].get(f.get("sex", ""), f.get("sex", "")),
                "ethnicity": maps["ethnicity"].get(f.get("ethnicity", ""), f.get("ethnicity", "")),
                "hukou_type": maps["household_registration_type"].get(f.get("hukou_type", ""), f.get("hukou_type", "")),
                "marital_status": maps["marital_status"].get(f.get("marital_status", ""), f.get("marital_status", "")),
                "registered": names.get(f.get("registered_code", ""), f.get("registered_code", "")),
                "residence": names.get(f.get("residence_code", ""), f.get("residence_code", "")),
                "before": names.get(e.responsible_before, e.responsible_before),
                "after": names.get(e.responsible_after, e.responsible_after),
                "children": "、".join(f"{c['name']}（{c['birth_date']}）" for c in f.get("children", [])),
                "benefits": [
                    {**b, "paying_name": names.get(b.get("paying_code", ""), b.get("paying_code", ""))}
                    for b in f.get("benefits", [])
                ],
            }
        )
    return rows
