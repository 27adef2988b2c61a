from datetime import UTC, datetime

from django.db import transaction

from .chain import hash_of
from .models import AuditEntry, AuditHead


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    region_code: str = "",
    detail: dict | None = None,
    ip: str | None = None,
    username: str = "",
    using: str = "default",
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    `obj` is a model instance or a ``(type, id)`` pair. `detail` must not
    contain plaintext personal data (names of changed fields are fine, their
    values are not). `using` names the database (the restore command writes
    to the database it restored).
    """
    object_type, object_id = _object_ref(obj)
    actor_obj = actor if getattr(actor, "pk", None) else None
    with transaction.atomic(using=using):
        head, _ = AuditHead.objects.using(using).select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=datetime.now(UTC),
            actor=actor_obj,
            actor_username=username or (actor_obj.get_username() if actor_obj else ""),
            ip=ip,
            action=action,
            object_type=object_type,
            object_id=object_id,
            region_code=region_code or "",
            detail=detail or {},
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = hash_of(entry)
        entry.save(force_insert=True, using=using)
        head.seq = entry.seq
        head.entry_hash = entry.entry_hash
        head.save(update_fields=["seq", "entry_hash"], using=using)
    return entry


def client_ip(request) -> str | None:
    """The client address; behind the reverse proxy set by deployment, REMOTE_ADDR
    is what the proxy passes on (docs/operator.md explains the setup)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_request(request, *, action: str, obj=None, region_code: str = "", detail: dict | None = None) -> AuditEntry:
    return audit_record(
        actor=getattr(request, "user", None),
        action=action,
        obj=obj,
        region_code=region_code,
        detail=detail,
        ip=client_ip(request),
    )
