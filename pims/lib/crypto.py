"""Encryption at rest and blind indexes for personal values.

Values are encrypted with AES-256-GCM (`cryptography`). A stored value is
``v1:<key id>:<base64(nonce + ciphertext)>``; the key id is the first 8 hex
characters of SHA-256 of the key, so several keys can decrypt while the first
one in settings.FIELD_ENCRYPTION_KEYS encrypts (key rotation).

A blind index is HMAC-SHA256 under settings.BLIND_INDEX_KEY over a kind label
and the normalised value: equal values give equal indexes (lookup, uniqueness)
without storing the value in clear.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import Failure
from .keys import KeyConfigError, decode_aes_key

PREFIX = "v1"


class DecryptionError(Failure):
    """A stored value that no configured key opens: a fault of the installation."""


def _decode_key(text: str) -> bytes:
    try:
        return decode_aes_key(text)
    except KeyConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@lru_cache(maxsize=8)
def _keys(spec: tuple[str, ...]) -> tuple[tuple[str, AESGCM], ...]:
    return tuple((key_id(k), AESGCM(k)) for k in map(_decode_key, spec))


def keyring() -> tuple[tuple[str, AESGCM], ...]:
    spec = tuple(s.strip() for s in settings.FIELD_ENCRYPTION_KEYS if s.strip())
    if not spec:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return _keys(spec)


def encrypt(plaintext: str, *, aad: bytes = b"") -> str:
    kid, aes = keyring()[0]
    nonce = os.urandom(12)
    sealed = aes.encrypt(nonce, plaintext.encode(), aad or None)
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, aad: bytes = b"") -> str:
    try:
        prefix, kid, body = token.split(":", 2)
    except ValueError:
        raise DecryptionError("malformed ciphertext") from None
    if prefix != PREFIX:
        raise DecryptionError("unknown ciphertext version")
    for candidate_id, aes in keyring():
        if candidate_id == kid:
            raw = base64.b64decode(body)
            return aes.decrypt(raw[:12], raw[12:], aad or None).decode()
    raise DecryptionError(f"no key with id {kid} in FIELD_ENCRYPTION_KEYS")


def needs_rotation(token: str) -> bool:
    return token.split(":", 2)[1] != keyring()[0][0]


def blind_index(kind: str, value: str) -> str:
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
