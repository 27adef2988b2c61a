"""Do the configured keys fit the data? Checked at start-up; and key rotation.

The settings check each key's form (pims.lib.keys). This module checks the
keys against the database, so that the application never starts against data
it cannot read or search:

- every field key the data is encrypted under must be in FIELD_ENCRYPTION_KEYS
  (else "reveal" fails and imports cannot compare IDs);
- BLIND_INDEX_KEY must be the key the stored indexes were made with (else
  every ID search silently finds nothing);
- AUDIT_CHAIN_KEY must be the key the audit chain was keyed with (else
  `audit_verify` reports every new entry as forged).

What the data needs is recorded in `KeyFingerprint` rows (key ids, and keyed
fingerprints of the other two keys, never the keys); `rotate_keys` brings the
data to the current keys and updates the records. The first start on a
database without records takes them from the data itself (one scan).
"""

import hashlib
import hmac

from django.conf import settings
from django.db import connections, transaction
from django.db.utils import DatabaseError
from django.utils.translation import gettext as _

from pims.lib import crypto
from pims.lib.errors import Failure
from pims.registry.personal import SEALED_COLUMNS, SEALED_PAYLOAD_KEYS, SEALED_VALUES

FINGERPRINT_LABEL = b"pims-key-fingerprint"
SAMPLE_ROWS = 3


class KeyMismatch(Failure):
    """The keys in the settings cannot read or search the data: refuse to start."""


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def fingerprint(key: str) -> str:
    """A keyed digest that tells keys apart without revealing them."""
    return hmac.new(key.encode(), FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def _key_id(token: str) -> str | None:
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == crypto.PREFIX else None


def field_key_ids_in_data(using: str = "default") -> list[str]:
    """The ids of every field key some stored value is encrypted under (a scan)."""
    found: set[str] = set()
    columns: list[tuple[str, str]] = [(s.model, s.cipher) for s in SEALED_COLUMNS]
    columns += [(v.model, v.cipher) for v in SEALED_VALUES]
    for model_label, cipher in columns:
        model = _model(model_label)
        values = model.objects.using(using).exclude(**{cipher: ""}).exclude(**{f"{cipher}__isnull": True})
        # Key ids are 8 hex characters after "v1:"; substr is the same on both engines.
        table = connections[using].ops.quote_name(model._meta.db_table)
        column = connections[using].ops.quote_name(cipher)
        if not values.exists():
            continue
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT substr({column}, 4, 8) FROM {table} WHERE {column} <> ''")  # noqa: S608
            found |= {row[0] for row in cursor.fetchall()}
    for payload in _sealed_event_payloads(using):
        for key in ("id_cipher", *SEALED_PAYLOAD_KEYS):
            kid = _key_id(payload.get(key) or "")
            if kid:
                found.add(kid)
    return sorted(found)


def _sealed_event_payloads(using: str):
    from django.db.models import Q

    from pims.events.models import Event

    sealed = Q(payload__has_key="id_cipher")
    for key in SEALED_PAYLOAD_KEYS:
        sealed |= Q(payload__has_key=key)
    return Event.objects.using(using).filter(sealed).values_list("payload", flat=True)


def _records(using: str):
    from .models import KeyFingerprint

    return KeyFingerprint.objects.using(using)


def _table_exists(using: str) -> bool:
    from .models import KeyFingerprint

    return KeyFingerprint._meta.db_table in connections[using].introspection.table_names()


def _has_personal_data(using: str) -> bool:
    return any(_model(s.model).objects.using(using).exclude(**{s.cipher: ""}).exists() for s in SEALED_COLUMNS)


def _sample_checks(using: str) -> None:
    """A few stored values must decrypt and hash to their stored index."""
    for sealed in SEALED_COLUMNS:
        model = _model(sealed.model)
        rows = model.objects.using(using).exclude(**{sealed.cipher: ""}).order_by("pk")
        for row in list(rows[:SAMPLE_ROWS]) + list(rows.reverse()[:1]):
            token = getattr(row, sealed.cipher)
            try:
                plain = sealed.kind.open(token)
            except Exception:  # DecryptionError, or InvalidTag from a wrong key with the same id
                raise KeyMismatch(
                    _("数据库中的%(kind)s用字段密钥 %(kid)s 加密，FIELD_ENCRYPTION_KEYS 中没有能解密它的密钥")
                    % {"kind": sealed.kind.label, "kid": _key_id(token) or "?"}
                ) from None
            if sealed.kind.index(plain) != getattr(row, sealed.index):
                raise KeyMismatch(_blind_index_message())


def _blind_index_message() -> str:
    return _(
        "BLIND_INDEX_KEY 与数据库中检索索引所用的密钥不同：按身份证号和电话的查找将一无所获。"
        "换回原密钥，或停止服务后运行 manage.py rotate_keys 用新密钥重建索引（docs/operator/keys.md）"
    )


def check_keys_against_data(using: str = "default") -> None:
    """Refuse (KeyMismatch) keys that cannot read or search the data; record
    what a database without records needs. Runs when the web application and
    the worker start (config/wsgi.py) and in `manage.py check --database default`."""
    from .models import KeyFingerprint

    try:
        if not _table_exists(using):
            return  # not migrated yet: `migrate` comes first
        records = list(_records(using))
    except DatabaseError:
        return  # no database to check against; the first query will say so
    Purpose = KeyFingerprint.Purpose
    if not records:
        _bootstrap(using)
        records = list(_records(using))
    present = {kid for kid, _aes in crypto.keyring()}
    needed = {r.value for r in records if r.purpose == Purpose.FIELD_KEY_ID and r.in_use}
    missing = sorted(needed - present)
    if missing:
        raise KeyMismatch(
            _(
                "数据库中的数据用字段密钥 %(ids)s 加密，但 FIELD_ENCRYPTION_KEYS 中没有它：把旧密钥加回列表"
                "（放在新密钥之后），或运行 manage.py rotate_keys 之后再删除（docs/operator/keys.md）"
            )
            % {"ids": ", ".join(missing)}
        )
    expected = {r.purpose: r.value for r in records if r.purpose != Purpose.FIELD_KEY_ID}
    if expected.get(Purpose.BLIND_INDEX, fingerprint(settings.BLIND_INDEX_KEY)) != fingerprint(
        settings.BLIND_INDEX_KEY
    ):
        raise KeyMismatch(_blind_index_message())
    if expected.get(Purpose.AUDIT_CHAIN, fingerprint(settings.AUDIT_CHAIN_KEY)) != fingerprint(
        settings.AUDIT_CHAIN_KEY
    ):
        raise KeyMismatch(
            _("AUDIT_CHAIN_KEY 与审计链所用的密钥不同：新记录将无法验证。请换回原密钥（docs/operator/keys.md）")
        )
    _sample_checks(using)
    primary = crypto.keyring()[0][0]
    if primary not in needed:
        KeyFingerprint.objects.using(using).get_or_create(purpose=Purpose.FIELD_KEY_ID, value=primary)


def _bootstrap(using: str) -> None:
    """First start with this check: take the records from the data (after
    checking a sample of it against the keys)."""
    from .models import KeyFingerprint

    Purpose = KeyFingerprint.Purpose
    if _has_personal_data(using):
        _sample_checks(using)
    ids = set(field_key_ids_in_data(using)) | {crypto.keyring()[0][0]}
    with transaction.atomic(using=using):
        for kid in sorted(ids):
            KeyFingerprint.objects.using(using).get_or_create(purpose=Purpose.FIELD_KEY_ID, value=kid)
        _record_current(using)


def _record_current(using: str) -> None:
    from .models import KeyFingerprint

    Purpose = KeyFingerprint.Purpose
    for purpose, key in (
        (Purpose.BLIND_INDEX, settings.BLIND_INDEX_KEY),
        (Purpose.AUDIT_CHAIN, settings.AUDIT_CHAIN_KEY),
    ):
        KeyFingerprint.objects.using(using).update_or_create(purpose=purpose, defaults={"value": fingerprint(key)})


def record_rotation(*, using: str = "default") -> None:
    """After rotate_keys: the data needs only the current field key and the current blind-index key."""
    from .models import KeyFingerprint

    Purpose = KeyFingerprint.Purpose
    primary = crypto.keyring()[0][0]
    with transaction.atomic(using=using):
        records = KeyFingerprint.objects.using(using)
        records.filter(purpose=Purpose.FIELD_KEY_ID).exclude(value=primary).update(in_use=False)
        records.update_or_create(purpose=Purpose.FIELD_KEY_ID, value=primary, defaults={"in_use": True})
        _record_current(using)
