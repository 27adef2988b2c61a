"""Reading a bundle at the province (issue 19.2/19.3): every check before
any write, then one transaction per bundle.

Checks, in order, each refusing the bundle whole with a message naming the
check (and the row): the zip and its three parts; the schema version; the
signing key (registered for the bundle's county); the signature over the
manifest; the payload's checksum; decryption with this instance's key;
every table's row count and checksum; every row's home region inside the
county; no UUID already held by another county's record; every reference
resolvable. Applying upserts each table by UUID set-wise (bulk INSERT … ON
CONFLICT), then sets the deferred keys, so importing the same bundle twice
leaves the same rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyrage
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction

from pims.integration.bulk import update_columns
from pims.lib.errors import Invalid, Problem
from pims.regions.models import Region
from pims.registry.personal import CITIZEN_ID, Kind

from . import errors, export, keys, tables
from .models import Peer

BATCH = 2000


def refuse(template, *, record: str = "bundle", field_name: str = "", **params) -> Invalid:
    message = str(template) % params if params else str(template)
    return Invalid(template, problems=[Problem(message, field=field_name, record=record)], **params)


@dataclass
class Opened:
    manifest: dict
    manifest_hash: str
    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))


def read_parts(data: bytes) -> tuple[bytes, dict, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest_bytes = z.read(export.MANIFEST)
            signature = json.loads(z.read(export.SIGNATURE))
            payload = z.read(export.PAYLOAD)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise refuse(errors.FILE_BROKEN, detail=str(exc)[:200]) from None
    return manifest_bytes, signature, payload


def open_bundle(data: bytes, *, sender_tier: str = "county") -> Opened:
    """Verify everything that can be verified without the register. A
    county's upload is signed by that county's key; a relay bundle
    (sender_tier="province") by the province's."""
    manifest_bytes, signature, payload = read_parts(data)
    try:
        manifest = json.loads(manifest_bytes)
        version = int(manifest["schema_version"])
        county = str(manifest["county_code"])
    except (ValueError, KeyError, TypeError) as exc:
        raise refuse(errors.FILE_BROKEN, detail=f"manifest: {exc}"[:200]) from None
    if manifest.get("format") != export.FORMAT:
        raise refuse(errors.FILE_BROKEN, detail="not a bundle of this system")
    if version > export.SCHEMA_VERSION:
        raise refuse(errors.SCHEMA_FUTURE, version=version, supported=export.SCHEMA_VERSION)
    key_id = str(signature.get("key_id", ""))[:32]
    peers = Peer.objects.filter(tier=sender_tier, key_id=key_id)
    if sender_tier == "county":
        peers = peers.filter(county_code=county)
    if manifest.get("relay", False) != (sender_tier == "province"):
        raise refuse(errors.FILE_BROKEN, detail="not a bundle for this direction")
    peer = peers.first()
    if peer is None:
        raise refuse(errors.UNKNOWN_SENDER, key=key_id, county=county)
    if not keys.verify(peer.signing_public, manifest_bytes, str(signature.get("signature", ""))):
        raise refuse(errors.BAD_SIGNATURE)
    if hashlib.sha256(payload).hexdigest() != manifest.get("payload", {}).get("sha256"):
        raise refuse(errors.PAYLOAD_CHECKSUM, part=export.PAYLOAD)
    try:
        plain = pyrage.decrypt(payload, keys.all_identities())
    except Exception:  # pyrage.DecryptError and friends
        raise refuse(errors.CANNOT_DECRYPT) from None
    opened = Opened(manifest, hashlib.sha256(manifest_bytes).hexdigest())
    digests: dict[str, Any] = defaultdict(hashlib.sha256)
    for line in plain.splitlines(keepends=True):
        item = json.loads(line)
        label = item["t"]
        if label not in tables.ORDER:
            raise refuse(errors.UNKNOWN_TABLE, table=str(label)[:60])
        digests[label].update(line)
        opened.rows[label].append(item["r"])
    for label in tables.ORDER:
        expected = manifest["tables"].get(label, {"rows": 0, "sha256": hashlib.sha256().hexdigest()})
        got_rows, got_hash = len(opened.rows.get(label, [])), digests[label].hexdigest()
        if got_rows != expected["rows"] or got_hash != expected["sha256"]:
            raise refuse(errors.TABLE_CHECKSUM, table=label)
    return opened


def check_rows(opened: Opened) -> None:
    """Every row's home region inside the county; no UUID of another county's record."""
    county = opened.manifest["county_code"]
    prefix = county[:6]
    for label in tables.HOME_FIELD:
        homes = tables.home_fields(label)
        rows = opened.rows.get(label, [])
        for n, row in enumerate(rows, start=1):
            if not tables.at_home(label, row, prefix):
                raise refuse(
                    errors.OUTSIDE_COUNTY,
                    record=label,
                    field_name=homes[0],
                    table=label,
                    row=n,
                    uuid=row["uuid"],
                    region=str(row.get(homes[0]) or ""),
                    county=county,
                )
        m = tables.model(label)
        by_uuid = {row["uuid"]: n for n, row in enumerate(rows, start=1)}
        for start in range(0, len(rows), BATCH):
            chunk = [r["uuid"] for r in rows[start : start + BATCH]]
            for value, *codes in m._default_manager.filter(uuid__in=chunk).values_list("uuid", *homes):
                if not tables.at_home(label, dict(zip(homes, codes, strict=True)), prefix):
                    raise refuse(errors.UUID_TAKEN, record=label, table=label, row=by_uuid[str(value)], uuid=str(value))


def placeholder_user(county_code: str):
    """The account the province files a county's rows under (inactive: nobody signs in as it)."""
    User = get_user_model()
    user = User.objects.filter(username=f"bundle-{county_code}").first()
    if user is None:
        county = Region.objects.filter(code=county_code).first()
        if county is None:
            raise refuse(errors.MISSING_REFERENCE, table="regions.Region", row=0, field="county_code", uuid=county_code)
        user = User(username=f"bundle-{county_code}", is_active=False, region=county, full_name=f"{county.name}数据包")
        user.set_unusable_password()
        user.save()
    return user


def apply(opened: Opened, *, relayed: bool = False) -> dict[str, int]:
    """Upsert every table in order; the deferred keys in a second pass. In the caller's transaction.

    `relayed`: a county reading the province's relay bundle — its rows are
    filed under no user, and each message is marked as travelled at its
    version (so it does not go back up unchanged)."""
    county = opened.manifest["county_code"]
    user = None if relayed else placeholder_user(county)
    ids: dict[str, dict[str, int]] = {}
    regions = _region_ids(opened)
    deferred_rows: list[tuple[str, dict]] = []
    counts = {}
    for label in tables.ORDER:
        rows = _newer(label, opened.rows.get(label, []))
        counts[label] = len(rows)
        if not rows:
            continue
        m = tables.model(label)
        objs = [_build(label, m, n, row, ids, regions, user) for n, row in enumerate(rows, start=1)]
        local = tables.LOCAL.get(label, set())
        update = [f.name for f in m._meta.concrete_fields if not f.primary_key and f.name != "uuid"]
        update = [name for name in update if name not in local]
        if relayed and "travelled_version" in local:
            for obj in objs:
                obj.travelled_version = obj.version  # type: ignore[attr-defined]
            update.append("travelled_version")
        for start in range(0, len(objs), BATCH):
            m._default_manager.bulk_create(
                objs[start : start + BATCH], update_conflicts=True, unique_fields=["uuid"], update_fields=update
            )
        ids[label] = _ids_of(m, [r["uuid"] for r in rows])
        deferred_rows.append((label, {"rows": rows}))
    for label, item in deferred_rows:
        _set_deferred(label, item["rows"], ids)
    return counts


def _newer(label: str, rows: list[dict]) -> list[dict]:
    """The rows of a versioned table newer than the ones held (all rows of another table)."""
    if label not in tables.VERSIONED or not rows:
        return rows
    held: dict[str, int] = {}
    m = tables.model(label)
    for start in range(0, len(rows), BATCH):
        chunk = [r["uuid"] for r in rows[start : start + BATCH]]
        held |= {str(u): v for u, v in m._default_manager.filter(uuid__in=chunk).values_list("uuid", "version")}
    return [r for r in rows if r["uuid"] not in held or int(r.get("version") or 0) > held[r["uuid"]]]


def _region_ids(opened: Opened) -> dict[str, int]:
    codes = set()
    for label, rows in opened.rows.items():
        for f in tables.fk_fields(tables.model(label)):
            if tables.region_fk(f):
                codes |= {r[f.name] for r in rows if r.get(f.name)}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "pk"))


def _ids_of(m, uuids: list[str]) -> dict[str, int]:
    out = {}
    for start in range(0, len(uuids), BATCH):
        for value, pk in m._default_manager.filter(uuid__in=uuids[start : start + BATCH]).values_list("uuid", "pk"):
            out[str(value)] = pk
    return out


def _resolve(label, n, f, value, ids) -> int | None:
    target = f.related_model._meta.label
    if value is None:
        return None
    pk = ids.get(target, {}).get(value)
    if pk is None:
        pk = tables.model(target)._default_manager.filter(uuid=value).values_list("pk", flat=True).first()
    if pk is None and not f.null:
        raise refuse(errors.MISSING_REFERENCE, record=label, table=label, row=n, field=f.name, uuid=value)
    return pk


def _build(label, m, n, row, ids, regions, user) -> models.Model:
    values: dict[str, Any] = {"uuid": tables.parse_value(m._meta.get_field("uuid"), row["uuid"])}
    for f in tables.plain_fields(label):
        if f.name in row:
            values[f.attname] = tables.parse_value(f, row[f.name])
    for f in tables.fk_fields(m):
        if tables.user_fk(f):
            values[f.attname] = user.pk if user is not None else None
        elif tables.region_fk(f):
            code = row.get(f.name)
            values[f.attname] = regions.get(code) if code else None
            if code and values[f.attname] is None:
                raise refuse(errors.MISSING_REFERENCE, record=label, table=label, row=n, field=f.name, uuid=code)
        elif tables.travelling_fk(f) and not tables.deferred(label, f):
            values[f.attname] = _resolve(label, n, f, row.get(f.name), ids)
    for key, cipher, index, kind in tables.PERSONAL.get(label, []):
        _store_personal(values, cipher, index, kind, row.get(key) or "")
    return m(**values)


def _store_personal(values: dict, cipher: str, index: str, kind: Kind, plain: str) -> None:
    """The province's own encryption and blind index of a personal value
    (no ID number: a null index, which the unique index allows many of)."""
    values[cipher] = kind.seal(plain) if plain else ""
    if index:
        values[index] = kind.index(plain) if plain else (None if kind is CITIZEN_ID else "")


def _set_deferred(label: str, rows: list[dict], ids: dict[str, dict[str, int]]) -> None:
    m = tables.model(label)
    fks = [f for f in tables.fk_fields(m) if tables.travelling_fk(f) and tables.deferred(label, f)]
    if not fks:
        return
    values = (
        (ids[label][row["uuid"]], *(_resolve(label, n, f, row.get(f.name), ids) for f in fks))
        for n, row in enumerate(rows, start=1)
    )
    update_columns(m, [f.column for f in fks], values)


def apply_or_refuse(opened: Opened) -> dict[str, int]:
    try:
        with transaction.atomic():
            return apply(opened)
    except IntegrityError as exc:
        raise refuse(errors.FILE_BROKEN, detail=f"constraint: {exc}"[:200]) from None
