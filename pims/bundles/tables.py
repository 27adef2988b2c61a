"""What travels in a bundle and how a row is written (issue 19.2).

Rows are named by UUID: a foreign key to another travelling record becomes
that record's UUID, a region becomes its code, a user is left out (the
province files county rows under one placeholder account per county).
Personal values leave the county's field encryption: the ID number and
phone travel in plaintext *inside the payload, which is encrypted to the
province's key*, and the province stores them under its own keys and blind
index. A new travelling model must be listed here or in `STAYS` (a test
checks), so nothing travels or stays behind by accident.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.apps import apps
from django.db import models

from pims.lib.identity import TravellingRecord
from pims.registry.personal import CITIZEN_ID, PHONE, PREGNANCY_OUTCOME, PREGNANCY_OUTCOME_DATE, Kind

# Import order: a row's foreign keys point to tables before it, except the
# deferred ones (a later table or itself), set in a second pass.
ORDER = [
    "registry.Household",
    "registry.Person",
    "events.ChangeReport",
    "events.Event",
    "events.Spell",
    "registry.Marriage",
    "registry.Birth",
    "registry.Pregnancy",
    "registry.Contraception",
    "approval.PeriodApproval",
    # Messages to and from another county's instance (issue 18.2 / 19.6):
    # county → province in the upload bundle, province → county in a relay
    # bundle (pims.bundles.relay).
    "exchange.Message",
]
# Travelling models that do not (yet) go in a county's bundle, with the reason.
STAYS = {
    "exchange.HandoverList": "a 交接's list stays with the sending county; a 交接 to another instance travels"
    " as its message (exchange.Message), the list on paper (the printed PDF) until lists travel too",
    "exchange.HandoverEntry": "a handover list's persons stay with their list (exchange.HandoverList)",
    "programmes.PersonFact": "programme facts are confirmed at the county; the province reads programme lists",
    "programmes.HealthService": "health data stays at the county (reproductive-health services, DOMAIN.md §7)",
    "documents.BirthRegistration": "registrations are issued and verified at the county; they join bundles with 19.3",
    "documents.HonourCertificate": "certificates are issued and verified at the county; they join bundles with 19.3",
    "documents.HistoricDocument": "historic documents are imported at the county; they join bundles with 19.3",
    "programmes.Cycle": "a programme year is run and confirmed at the county; the province reads its lists (19.3)",
    "programmes.Entry": "a programme year's entries travel with their cycle (19.3)",
    "programmes.Roster": "the 名册 goes to finance from the county; it travels with its cycle (19.3)",
}

# The field whose region code must lie inside the bundle's county.
HOME_FIELD: dict[str, str | tuple[str, ...]] = {
    "registry.Household": "region_code",
    "registry.Person": "responsible_code",
    "events.ChangeReport": "region_code",
    "events.Event": "region_code",
    "approval.PeriodApproval": "region_code",
    # A message is at home on both sides: one of its two parties lies in the county.
    "exchange.Message": ("sender_code", "receiver_code"),
}
# Fields that stay with the instance: a message's pending household (a
# local record of the sender's form) and its travel mark.
LOCAL = {"exchange.Message": {"household", "travelled_version"}}
# Tables whose rows carry a version: an arriving row older than (or as old
# as) the one held is left alone, so bundles from two sides cannot undo a
# later change.
VERSIONED = {"exchange.Message"}

# Stored personal values: (plaintext key in the bundle, cipher field, index
# field or "" for none, kind).
PERSONAL: dict[str, list[tuple[str, str, str, Kind]]] = {
    "registry.Person": [
        ("id_number", "id_cipher", "id_index", CITIZEN_ID),
        ("phone", "phone_cipher", "phone_index", PHONE),
    ],
    "registry.Pregnancy": [
        ("outcome", "outcome_cipher", "", PREGNANCY_OUTCOME),
        ("outcome_date", "outcome_date_cipher", "", PREGNANCY_OUTCOME_DATE),
    ],
}
# Fields the province computes again from the plaintext.
RECOMPUTED = {
    "registry.Person": {"id_cipher", "id_index", "phone_cipher", "phone_index"},
    "registry.Pregnancy": {"outcome_cipher", "outcome_date_cipher"},
}


def model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def order_index(label: str) -> int:
    return ORDER.index(label)


def fk_fields(m: type[models.Model]) -> list[models.ForeignKey]:
    local = LOCAL.get(m._meta.label, set())
    return [f for f in m._meta.concrete_fields if isinstance(f, models.ForeignKey) and f.name not in local]


def home_fields(label: str) -> tuple[str, ...]:
    home = HOME_FIELD[label]
    return home if isinstance(home, tuple) else (home,)


def at_home(label: str, row: dict, prefix: str) -> bool:
    """Whether the row's home region (any of its home fields) lies in the county."""
    return any(str(row.get(f) or "").startswith(prefix) for f in home_fields(label))


def travelling_fk(f: models.ForeignKey) -> bool:
    return issubclass(f.related_model, TravellingRecord)  # type: ignore[arg-type]


def region_fk(f: models.ForeignKey) -> bool:
    return f.related_model._meta.label == "regions.Region"  # type: ignore[union-attr]


def user_fk(f: models.ForeignKey) -> bool:
    return f.related_model._meta.label == "accounts.User"  # type: ignore[union-attr]


def deferred(label: str, f: models.ForeignKey) -> bool:
    """A key to a table imported at or after this one: set in the second pass."""
    target = f.related_model._meta.label  # type: ignore[union-attr]
    return target in ORDER and order_index(target) >= order_index(label)


def plain_fields(label: str) -> list[models.Field]:
    m = model(label)
    skip = RECOMPUTED.get(label, set()) | LOCAL.get(label, set())
    return [
        f
        for f in m._meta.concrete_fields
        if not f.is_relation
        and not f.primary_key
        and f.name != "uuid"
        and f.name not in skip
        and not isinstance(f, models.FileField)  # a scanned form stays with the county's media
    ]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def row_of(label: str, obj: models.Model, uuids: dict[tuple[str, int], str], codes: dict[int, str]) -> dict:
    """One row for the bundle: plain values, keys as UUIDs or codes, personal values in plaintext."""
    row: dict[str, Any] = {"uuid": str(obj.uuid)}  # type: ignore[attr-defined]
    for f in plain_fields(label):
        row[f.name] = _json_value(getattr(obj, f.attname))
    for f in fk_fields(model(label)):
        pk = getattr(obj, f.attname)
        if travelling_fk(f):
            row[f.name] = uuids.get((f.related_model._meta.label, pk)) if pk is not None else None  # type: ignore[union-attr]
        elif region_fk(f):
            row[f.name] = codes.get(pk) if pk is not None else None
    for key, cipher, _index, kind in PERSONAL.get(label, []):
        row[key] = kind.open(getattr(obj, cipher))
    return row


def parse_value(f: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(f, models.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(f, models.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(f, models.UUIDField):
        return uuid.UUID(value)
    return value
