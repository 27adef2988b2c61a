"""The exchange's rules in one place: which node routes a message (the
seed's rule), who may act for a node, which topics each kind allows, which
payload fields a topic carries (data minimisation) and the due date."""

from __future__ import annotations

import datetime as dt

from pims.accounts.roles import Cap, has_capability
from pims.params.selectors import param_value
from pims.regions.models import LEVEL_DIGITS, Level

from .models import Kind, Priority, Topic

# Region levels that send and receive messages: the management units.
NODE_LEVELS = (Level.TOWNSHIP, Level.COUNTY, Level.CITY, Level.PROVINCE)
# From the narrowest common node up: within a township the township acts;
# between townships of one county the county routes; between counties the city.
_ROUTE_LEVELS = (Level.TOWNSHIP, Level.COUNTY, Level.CITY, Level.PROVINCE)

KIND_TOPICS: dict[str, tuple[str, ...]] = {
    Kind.INQUIRY: (
        Topic.REGISTERED_ELSEWHERE,
        Topic.SPLIT_COUPLE,
        Topic.PREGNANCY,
        Topic.BIRTH,
        Topic.MARRIAGE,
        Topic.OTHER,
    ),
    Kind.NOTICE: (Topic.MOVE_IN, Topic.BIRTH, Topic.PREGNANCY, Topic.MARRIAGE, Topic.DEATH, Topic.SPLIT_COUPLE),
    Kind.HANDOVER: (Topic.DELEGATED, Topic.MIGRATION, Topic.FLOW_IN_FILE, Topic.UXORILOCAL),
    Kind.FEEDBACK: tuple(Topic.values),
}

# The person's fields every message about a person carries (DOMAIN.md §8,
# 基本信息): the ID only masked — the receiver finds the record by UUID.
BASIC_FIELDS = ("uuid", "name", "sex", "birth_date", "id_masked", "registered_code", "residence_code")
# What a topic adds; nothing else may enter a payload.
TOPIC_FIELDS: dict[str, tuple[str, ...]] = {
    Topic.MOVE_IN: ("event_uuid", "event_type", "effective_date"),
    Topic.BIRTH: ("event_uuid", "event_type", "effective_date", "child_uuid"),
    Topic.PREGNANCY: ("event_uuid", "event_type", "effective_date", "pregnant"),
    Topic.MARRIAGE: ("event_uuid", "event_type", "effective_date", "spouse_uuid", "spouse_registered_code"),
    Topic.DEATH: ("event_uuid", "event_type", "effective_date"),
    Topic.SPLIT_COUPLE: ("spouse_uuid", "spouse_registered_code", "responsible_code"),
    Topic.REGISTERED_ELSEWHERE: ("responsible_code",),
}
FEEDBACK_FIELDS = ("inquiry_uuid",)


def payload_fields(kind: str, topic: str) -> tuple[str, ...]:
    if kind == Kind.FEEDBACK:
        return FEEDBACK_FIELDS
    extra = TOPIC_FIELDS.get(topic, ())
    return (*BASIC_FIELDS, *extra)


def minimised(kind: str, topic: str, values: dict) -> dict:
    """`values` cut to the fields the kind and topic need; empty ones dropped."""
    allowed = payload_fields(kind, topic)
    return {k: values[k] for k in allowed if values.get(k) not in (None, "")}


def node_code(code: str, level: str) -> str:
    digits = LEVEL_DIGITS[level]
    return code[:digits].ljust(12, "0")


def route_code(sender_code: str, receiver_code: str) -> str:
    """The node that routes between two nodes: their narrowest common
    ancestor among township, county, city and province; "" when they share
    no province (such a message leaves the instance in a bundle)."""
    for level in _ROUTE_LEVELS:
        if node_code(sender_code, level) == node_code(receiver_code, level):
            return node_code(sender_code, level)
    return ""


def needs_forwarding(sender_code: str, receiver_code: str) -> bool:
    """Whether a third node forwards the message: not when the route node is
    one of the two parties (a township writing to its own county)."""
    return route_code(sender_code, receiver_code) not in (sender_code, receiver_code)


def acts_for(user, code: str, cap: str = Cap.EXCHANGE) -> bool:
    """A user acts for the node of their own region, with the capability."""
    region = getattr(user, "region", None)
    return bool(has_capability(user, cap) and region is not None and region.code == code)


def due_date(priority: str, sent_on: dt.date) -> dt.date:
    key = "exchange.due_days.urgent" if priority == Priority.URGENT else "exchange.due_days.normal"
    return sent_on + dt.timedelta(days=param_value(key, sent_on))


def due_soon_days(on: dt.date) -> int:
    return param_value("exchange.due_soon_days", on)
