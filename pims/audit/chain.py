"""Hashing of audit entries; framework-light so that verify and archive share it."""

import hashlib
import json

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


def compute_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def hash_of(entry) -> str:
    payload = entry_payload(
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
    return compute_hash(entry.prev_hash, payload)
