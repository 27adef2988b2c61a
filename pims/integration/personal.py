"""Stored forms of personal values for the bulk paths, exactly as the form
service writes them (`pims.registry.services._fill_person`): the ID number
and phone encrypted, blind-indexed and masked; the name's pinyin for search.
"""

from pims.lib import crypto
from pims.lib.citizen_id import mask_citizen_id
from pims.lib.masking import mask_phone
from pims.lib.names import name_pinyin  # noqa: F401  (the one pinyin rule, re-exported for the bulk writers)
from pims.registry.services import citizen_id_index, phone_index


def citizen_id_stored(number: str) -> tuple[str, str | None, str]:
    """(cipher, blind index, masked) of a normalised ID number; blanks for none."""
    if not number:
        return "", None, ""
    return crypto.encrypt(number, aad=b"citizen_id"), citizen_id_index(number), mask_citizen_id(number)


def phone_stored(phone: str) -> tuple[str, str, str]:
    if not phone:
        return "", "", ""
    return crypto.encrypt(phone, aad=b"phone"), phone_index(phone), mask_phone(phone)
