"""Checks of the keys in the settings, run when the settings load (start-up).

Every key is checked for its form before anything uses it, so that a
malformed value stops `manage.py check`, gunicorn and every command at once
with a message naming the variable and how to make a good one — instead of a
500 on the first encrypted field, or searches that silently find nothing.
(Whether the keys fit the *data* is checked against the database at start-up:
pims.ops.keys.)

Settings import it before Django is set up (pims.lib.errors needs only lazy gettext).
"""

import base64
import binascii

from .errors import Failure

NEW_KEY_HINT = "openssl rand -base64 32"
MIN_BLIND_INDEX_KEY_CHARS = 32


class KeyConfigError(Failure):
    """A key in the settings is malformed; the settings turn it into ImproperlyConfigured."""


def decode_aes_key(text: str, *, name: str = "FIELD_ENCRYPTION_KEYS") -> bytes:
    """A base64 text of 32 bytes (AES-256)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{name}: “{_preview(text)}” is not base64; make a key with `{NEW_KEY_HINT}`") from None
    if len(key) != 32:
        raise KeyConfigError(
            f"{name}: a key must be 32 bytes (AES-256) in base64, “{_preview(text)}” is {len(key)} bytes; "
            f"make one with `{NEW_KEY_HINT}`"
        )
    return key


def _preview(text: str) -> str:
    """Enough of a bad value to find it in the file, never the whole key."""
    text = text.strip()
    return text if len(text) <= 6 else f"{text[:4]}…({len(text)} characters)"


def check_field_keys(values: list[str]) -> list[str]:
    keys = [v.strip() for v in values]
    if not keys or not all(keys):
        raise KeyConfigError("FIELD_ENCRYPTION_KEYS is empty or has an empty entry (comma-separated base64 keys)")
    decoded = [decode_aes_key(k) for k in keys]
    if len(set(decoded)) != len(decoded):
        raise KeyConfigError("FIELD_ENCRYPTION_KEYS lists the same key twice")
    return keys


def check_blind_index_key(value: str, *, strict: bool) -> str:
    value = value.strip()
    if not value:
        raise KeyConfigError("BLIND_INDEX_KEY is empty")
    if strict and len(value) < MIN_BLIND_INDEX_KEY_CHARS:
        raise KeyConfigError(
            f"BLIND_INDEX_KEY is {len(value)} characters, at least {MIN_BLIND_INDEX_KEY_CHARS} are needed; "
            f"make one with `{NEW_KEY_HINT}` (changing it later: docs/operator/keys.md)"
        )
    return value


def check_audit_key(value: str) -> bytes:
    return decode_aes_key(value, name="AUDIT_CHAIN_KEY")


def check_backup_recipients(values: list[str]) -> list[str]:
    """age public keys (``age1…``), as printed by `python -m pims.ops.keygen`."""
    from pyrage import x25519

    recipients = [v.strip() for v in values if v.strip()]
    for text in recipients:
        try:
            x25519.Recipient.from_str(text)
        except Exception:  # pyrage raises its own RecipientError (or ValueError)
            raise KeyConfigError(
                f"BACKUP_RECIPIENTS: “{_preview(text)}” is not an age public key (age1…); "
                "make a backup key pair with `python -m pims.ops.keygen FILE`"
            ) from None
    return recipients


def check_distinct(named: dict[str, list[str]]) -> None:
    """No key may serve two purposes: a leaked one would open both."""
    seen: dict[str, str] = {}
    for name, values in named.items():
        for value in values:
            other = seen.setdefault(value.strip(), name)
            if other != name:
                raise KeyConfigError(f"{name} and {other} use the same key; each needs its own")
