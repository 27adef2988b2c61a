"""Exchange messages between county instances, through the province
(issue 18.2, 19.6).

A message to a region of another county's instance leaves its county in the
ordinary upload bundle (export.outbound_messages); the province files it
(as county data, read-only) and notes a relay to the other party's county.
The province then writes that county a **relay bundle**: the same file
format, keys and checks as an upload — a signed manifest (``"relay": true``,
the destination county, its own sequence per county, the previous relay
bundle's hash) and the rows encrypted to the county's key — holding only
the messages. The county imports it in sequence (a repeated bundle changes
nothing); a message arrives as delivered (the province was its routing
node), and the county's later transitions (receipt, answer, refusal) travel
back the same way. The message's version decides: an arriving row older
than, or as old as, the one held is left alone (imports._newer).
"""

from __future__ import annotations

from pims.lib import clock
from pims.regions.models import Level

from . import export
from .models import Relay

MESSAGE = "exchange.Message"


def county_of(code: str) -> str:
    from pims.exchange.rules import node_code

    return node_code(code, Level.COUNTY)


def note_arrivals(opened) -> int:
    """At the province, after applying a county's bundle: each message row
    waits to go on to the other party's county (once per version)."""
    source = opened.manifest["county_code"]
    now = clock.now()
    relays = []
    for row in opened.rows.get(MESSAGE, []):
        for code in (row.get("sender_code") or "", row.get("receiver_code") or ""):
            to = county_of(code)
            if code and to != source:
                relays.append(
                    Relay(
                        message_uuid=row["uuid"],
                        version=int(row.get("version") or 0),
                        from_county=source,
                        to_county=to,
                        arrived_at=now,
                    )
                )
    Relay.objects.bulk_create(relays, ignore_conflicts=True)
    return len(relays)


def pending(county_code: str):
    return Relay.objects.filter(to_county=county_code, bundle__isnull=True)


def selection(county_code: str) -> export.Selection:
    """The current rows of the messages waiting for this county."""
    from pims.exchange.models import Message

    uuids = set(pending(county_code).values_list("message_uuid", flat=True))
    sel = export.Selection()
    sel.objects[MESSAGE] = list(Message.objects.filter(uuid__in=uuids).order_by("id"))
    return sel


def delivered(opened) -> None:
    """At the destination county: a message sent for forwarding arrives
    forwarded — the province was the node that routed it."""
    from pims.exchange.models import Message, State

    prefix = opened.manifest["county_code"][:6]
    uuids = [r["uuid"] for r in opened.rows.get(MESSAGE, [])]
    Message.objects.filter(uuid__in=uuids, state=State.SENT, forwarding=True, receiver_code__startswith=prefix).update(
        state=State.FORWARDED, forwarded_at=clock.now()
    )
