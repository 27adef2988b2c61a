"""Re-encryption of personal data under the current key (key rotation).

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones
after it), run `manage.py rotate_keys`, then remove the old keys. Rows are
processed in primary-key batches, each batch in its own transaction with a
bulk update, so a killed run can simply be started again.
"""

from django.db import transaction

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import crypto

from .models import Person

ENCRYPTED_FIELDS = (("id_cipher", b"citizen_id"), ("phone_cipher", b"phone"))


def _rotate(value: str, aad: bytes) -> str | None:
    if not value or not crypto.needs_rotation(value):
        return None
    return crypto.encrypt(crypto.decrypt(value, aad=aad), aad=aad)


def rotate_keys(*, actor=None, batch_size: int = 2000, progress=None) -> int:
    """Re-encrypt every value not sealed with the current key; returns the
    number of persons changed."""
    changed_total, last_pk = 0, 0
    while True:
        batch = list(
            Person.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "id_cipher", "phone_cipher")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        changed = []
        for person in batch:
            dirty = False
            for field, aad in ENCRYPTED_FIELDS:
                new = _rotate(getattr(person, field), aad)
                if new is not None:
                    setattr(person, field, new)
                    dirty = True
            if dirty:
                changed.append(person)
        with transaction.atomic():
            Person.objects.bulk_update(changed, [f for f, _ in ENCRYPTED_FIELDS], batch_size=500)
        changed_total += len(changed)
        if progress:
            progress(last_pk, changed_total)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=("registry.keys", "rotation"),
            detail={"persons_reencrypted": changed_total},
        )
    return changed_total
