"""The one writer (and reader) of stored personal values.

A citizen ID number and a phone number are stored three ways on a person
(and on a staged import row, and in the payload of a pending event): the
value encrypted under the field key with its kind as associated data (AAD),
a blind index (HMAC under BLIND_INDEX_KEY) to find and deduplicate it, and a
masked form for lists. Every module that writes, opens, indexes or re-seals
such a value calls this module; the AAD and index labels are defined here
once. It depends on pims.lib only, so any app (events, intake, search,
synthesis, operations) may import it at module level without a circle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pims.lib import crypto
from pims.lib.citizen_id import mask_citizen_id
from pims.lib.masking import mask_phone

if TYPE_CHECKING:
    from pims.lib.citizen_id import CitizenId


@dataclass(frozen=True)
class Kind:
    """One kind of sealed value: the AAD of its ciphertext and the label of its blind index."""

    label: str
    aad: bytes

    def seal(self, plain: str) -> str:
        return crypto.encrypt(plain, aad=self.aad)

    def open(self, token: str) -> str:
        """The plain value; "" for no stored value."""
        return crypto.decrypt(token, aad=self.aad) if token else ""

    def index(self, plain: str) -> str:
        return crypto.blind_index(self.label, plain)

    def reseal(self, token: str) -> tuple[str, str, str]:
        """(ciphertext under the current key, index under the current key, plain value)
        of one stored value — for key rotation."""
        plain = self.open(token)
        cipher = self.seal(plain) if crypto.needs_rotation(token) else token
        return cipher, self.index(plain), plain


CITIZEN_ID = Kind("citizen_id", b"citizen_id")
PHONE = Kind("phone", b"phone")
# Reproductive health (PIPL sensitive data, issue 14.7): how and when a
# pregnancy ended (an induced abortion, a stillbirth …). No blind index: nobody
# searches by them, and the register's logic needs only whether it ended
# (Pregnancy.ended, in plaintext).
PREGNANCY_OUTCOME = Kind("pregnancy_outcome", b"pregnancy_outcome")
PREGNANCY_OUTCOME_DATE = Kind("pregnancy_outcome_date", b"pregnancy_outcome_date")


@dataclass(frozen=True)
class SealedColumn:
    """A column holding a sealed value (`cipher`) beside its blind index (`index`)."""

    model: str
    cipher: str
    index: str
    kind: Kind


# Every encrypted column with its blind index. Event payloads (births and
# corrections waiting for approval) carry sealed IDs too, under the keys of
# `citizen_id_payload`.
SEALED_COLUMNS = (
    SealedColumn("registry.Person", "id_cipher", "id_index", CITIZEN_ID),
    SealedColumn("registry.Person", "phone_cipher", "phone_index", PHONE),
)


@dataclass(frozen=True)
class SealedValue:
    """A column holding a sealed value without a blind index."""

    model: str
    cipher: str
    kind: Kind


SEALED_VALUES = (
    SealedValue("registry.Pregnancy", "outcome_cipher", PREGNANCY_OUTCOME),
    SealedValue("registry.Pregnancy", "outcome_date_cipher", PREGNANCY_OUTCOME_DATE),
)
# Event payload keys holding a sealed value (a 妊娠结局 event's outcome until
# and after it is applied), with their kind.
SEALED_PAYLOAD_KEYS = {"outcome_cipher": PREGNANCY_OUTCOME}


def citizen_id_index(number: str) -> str:
    """The blind index of a normalised ID number (lookup and uniqueness)."""
    return CITIZEN_ID.index(number)


def phone_index(phone: str) -> str:
    return PHONE.index(phone)


def citizen_id_stored(number: str, *, index: str | None = None) -> tuple[str, str | None, str]:
    """(cipher, blind index, masked) of a normalised ID number; blanks (index
    None) for none. `index`: the number's blind index if the caller has it
    already (the bulk import caches them)."""
    if not number:
        return "", None, ""
    return CITIZEN_ID.seal(number), index or citizen_id_index(number), mask_citizen_id(number)


def phone_stored(phone: str) -> tuple[str, str, str]:
    """(cipher, blind index, masked) of a phone number; blanks for none."""
    if not phone:
        return "", "", ""
    return PHONE.seal(phone), phone_index(phone), mask_phone(phone)


def citizen_id_payload(parsed: CitizenId) -> dict[str, str]:
    """The sealed ID an event payload carries until the event is applied
    (a birth's child, an ID correction), in the person's column names."""
    cipher, index, masked = citizen_id_stored(parsed.number)
    return {
        "id_cipher": cipher,
        "id_index": index or "",
        "id_masked": masked,
        "id_sex": parsed.sex,
        "id_birth_date": parsed.birth_date.isoformat(),
    }


def citizen_id_open(token: str) -> str:
    """The full ID number of a stored cipher ("" for none). Callers showing it
    to a user audit the unmasking (registry.services.person_reveal_citizen_id)."""
    return CITIZEN_ID.open(token)


def phone_open(token: str) -> str:
    return PHONE.open(token)


def pregnancy_outcome_stored(outcome: str, day: dt.date | None) -> tuple[str, str]:
    """(outcome cipher, outcome date cipher) of how and when a pregnancy ended."""
    return (
        PREGNANCY_OUTCOME.seal(outcome) if outcome else "",
        PREGNANCY_OUTCOME_DATE.seal(day.isoformat()) if day else "",
    )


def pregnancy_outcome_open(outcome_cipher: str, date_cipher: str) -> tuple[str, dt.date | None]:
    """(outcome code, outcome date) of a stored pregnancy. Callers showing them
    to a user audit the viewing (pims.registry.reproductive)."""
    day = PREGNANCY_OUTCOME_DATE.open(date_cipher)
    return PREGNANCY_OUTCOME.open(outcome_cipher), dt.date.fromisoformat(day) if day else None


def outcome_payload(outcome: str) -> dict[str, str]:
    """The sealed outcome a 妊娠结局 event's payload carries."""
    return {"outcome_cipher": PREGNANCY_OUTCOME.seal(outcome)} if outcome else {}


def outcome_from_payload(payload: dict | None) -> str:
    """The outcome code of an event payload (sealed; an old plaintext one is read too)."""
    payload = payload or {}
    if payload.get("outcome_cipher"):
        return PREGNANCY_OUTCOME.open(payload["outcome_cipher"])
    return str(payload.get("outcome") or "")
