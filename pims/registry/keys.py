"""Key rotation: bring every stored personal value to the current keys.

Field keys: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones
after it), run `manage.py rotate_keys`; keep the old keys while backups made
under them exist (docs/operator/keys.md). Blind-index key: set the new
BLIND_INDEX_KEY and run `manage.py rotate_keys`; the indexes are recomputed
from the decrypted values, so the old blind-index key is not needed.

Rows are processed in primary-key batches, each batch in its own transaction
with a bulk update, so a killed run can simply be started again. Pending
events carry sealed IDs in their payload (births, ID corrections): they are
re-sealed too. An import that is still staging rows holds indexes that cannot
be recomputed: rotation refuses to run until it is finished.
"""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.models import Event
from pims.integration.models import StagedRow
from pims.lib import crypto
from pims.lib.errors import Conflict
from pims.ops.keys import record_rotation

from .models import Person
from .personal import CITIZEN_ID, SEALED_COLUMNS, SEALED_PAYLOAD_KEYS, SEALED_VALUES

PERSON_COLUMNS = [c for c in SEALED_COLUMNS if c.model == "registry.Person"]


class RotationRefused(Conflict):
    """Rotation cannot run now (an import is still staging rows)."""


def _rotate_person(person) -> bool:
    dirty = False
    for column in PERSON_COLUMNS:
        token = getattr(person, column.cipher)
        if not token:
            continue
        cipher, index, _plain = column.kind.reseal(token)
        if (cipher, index) != (token, getattr(person, column.index)):
            setattr(person, column.cipher, cipher)
            setattr(person, column.index, index)
            dirty = True
    return dirty


# person pk → (blind index before, after) for the persons whose index moved
Moved = dict[int, tuple[str | None, str | None]]


def _rotate_persons(batch_size: int, progress) -> tuple[int, Moved]:
    """Returns the count changed and {person id: (old index, new index)} of changed ID indexes."""
    changed_total, last_pk = 0, 0
    moved: Moved = {}
    fields = [f for column in PERSON_COLUMNS for f in (column.cipher, column.index)]
    while True:
        batch = list(Person.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", *fields)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        before = {p.pk: p.id_index for p in batch}
        changed = [p for p in batch if _rotate_person(p)]
        moved.update({p.pk: (before[p.pk], p.id_index) for p in changed if before[p.pk] != p.id_index})
        with transaction.atomic():
            Person.objects.bulk_update(changed, fields, batch_size=500)
        changed_total += len(changed)
        if progress:
            progress(last_pk, changed_total)
    return changed_total, moved


def _rotate_values(batch_size: int) -> int:
    """Re-encrypt the sealed values without a blind index (a pregnancy's
    outcome and its date) not sealed with the current field key."""
    from django.apps import apps

    changed_total = 0
    for model_label in sorted({v.model for v in SEALED_VALUES}):
        model = apps.get_model(model_label)
        columns = [v for v in SEALED_VALUES if v.model == model_label]
        fields = [v.cipher for v in columns]
        last_pk = 0
        while True:
            batch = list(model.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", *fields)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1].pk
            changed = []
            for row in batch:
                dirty = False
                for v in columns:
                    token = getattr(row, v.cipher)
                    if token and crypto.needs_rotation(token):
                        setattr(row, v.cipher, v.kind.seal(v.kind.open(token)))
                        dirty = True
                if dirty:
                    changed.append(row)
            with transaction.atomic():
                model.objects.bulk_update(changed, fields, batch_size=500)
            changed_total += len(changed)
    return changed_total


def _reseal_payload(p: dict) -> None:
    for key, kind in SEALED_PAYLOAD_KEYS.items():
        if p.get(key) and crypto.needs_rotation(p[key]):
            p[key] = kind.seal(kind.open(p[key]))


def _rotate_events(moved: Moved) -> int:
    """Re-seal the IDs in event payloads; a correction's `before_index` (the
    index of the ID it corrects) follows its person's index."""
    changed = []
    sealed = Q(payload__has_key="id_cipher")
    for key in SEALED_PAYLOAD_KEYS:
        sealed |= Q(payload__has_key=key)
    for event in Event.objects.filter(sealed).only("pk", "person_id", "payload").iterator():
        p = dict(event.payload)
        _reseal_payload(p)
        if p.get("id_cipher"):
            p["id_cipher"], p["id_index"], _plain = CITIZEN_ID.reseal(p["id_cipher"])
        old_new = moved.get(event.person_id) if event.person_id is not None else None
        if p.get("before_index") and old_new and p["before_index"] == old_new[0]:
            p["before_index"] = old_new[1]
        if p != event.payload:
            event.payload = p
            changed.append(event)
    with transaction.atomic():
        Event.objects.bulk_update(changed, ["payload"], batch_size=500)
    return len(changed)


def rotate_keys(*, actor=None, batch_size: int = 2000, progress=None, ip: str | None = None, username: str = "") -> int:
    """Re-encrypt every value not sealed with the current field key and
    recompute every blind index with the current BLIND_INDEX_KEY; returns the
    number of persons changed."""
    running = StagedRow.objects.values_list("job_id", flat=True).first()
    if running is not None:
        raise RotationRefused(_("导入任务 %(job)s 尚未完成：等它完成（或取消）后再轮换密钥") % {"job": running})
    changed_total, moved = _rotate_persons(batch_size, progress)
    values = _rotate_values(batch_size)
    events = _rotate_events(moved)
    with transaction.atomic():
        record_rotation()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=("registry.keys", "rotation"),
            detail={"persons_reencrypted": changed_total, "values_reencrypted": values, "events_resealed": events},
            ip=ip,
            username=username,
        )
    return changed_total
