"""Hashing of audit entries; framework-light so that verify and archive share it.

Each entry's hash is HMAC-SHA256 under settings.AUDIT_CHAIN_KEY (a key that
is never in the database) over the previous entry's hash and the entry's
canonical content. Without the key nobody — not even a database superuser —
can re-hash the chain after changing or removing an entry. Entries written
before the chain was keyed (release 0.1) carry a plain SHA-256; the first
anchor records up to which seq they go (pims.audit.anchors), so an unkeyed
entry after that point is a forgery.
"""

import base64
import hashlib
import hmac
import json
from functools import lru_cache

GENESIS_HASH = "0" * 64


def entry_payload(*, seq, at, actor_id, actor_username, ip, action, object_type, object_id, region_code, detail) -> str:
    return json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor_id,
            "username": actor_username,
            "ip": ip,
            "action": action,
            "type": object_type,
            "id": object_id,
            "region": region_code,
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


@lru_cache(maxsize=4)
def _decoded(key: str) -> bytes:
    return base64.b64decode(key)


def chain_key() -> bytes:
    from django.conf import settings

    return _decoded(settings.AUDIT_CHAIN_KEY)


def compute_hash(prev_hash: str, payload: str, *, key: bytes | None = None) -> str:
    """The keyed hash; with key=None the legacy unkeyed SHA-256."""
    message = (prev_hash + payload).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _payload_of(entry) -> str:
    return entry_payload(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_username=entry.actor_username,
        ip=entry.ip,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        region_code=entry.region_code,
        detail=entry.detail,
    )


def hash_of(entry, *, legacy_until: int = 0) -> str:
    """The hash `entry` must carry: unkeyed for seq <= legacy_until, keyed after."""
    key = None if entry.seq <= legacy_until else chain_key()
    return compute_hash(entry.prev_hash, _payload_of(entry), key=key)


def is_unkeyed(entry) -> bool:
    """True when the entry carries a valid legacy (unkeyed) hash."""
    return compute_hash(entry.prev_hash, _payload_of(entry)) == entry.entry_hash


def sign(data: dict) -> str:
    """MAC of an anchor line (every field but `mac`)."""
    text = json.dumps({k: v for k, v in data.items() if k != "mac"}, sort_keys=True, separators=(",", ":"))
    return hmac.new(chain_key(), b"pims-audit-anchor:" + text.encode(), hashlib.sha256).hexdigest()
