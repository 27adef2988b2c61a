"""Writes of the bundles (issue 19.2): key set-up, a county's export, the
province's import and receipt, the county's reading of the receipt.

    county: accepted months ──export──▶ bundle N (exported) ──receipt──▶ acknowledged (months uploaded)
    province: bundle N ──import──▶ applied │ waiting (N-1 missing) │ refused (check named) ──▶ receipt

A province applies bundles of a county strictly in sequence: an older or
repeated one is acknowledged again and changes nothing; one after a gap waits
and says which is missing, and is applied when the gap is filled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from pims.approval.models import PeriodApproval
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, Unavailable
from pims.lib.private_files import write_private_bytes
from pims.regions.models import Level, Region

from . import errors, export, imports, keys, relay
from .models import Bundle, BundleState, Direction, Peer

RECEIPT_FORMAT = "pims-bundle-receipt"


def tier() -> str:
    return settings.PIMS_TIER


def bundle_path(kind: str, name: str) -> Path:
    directory = Path(settings.BUNDLE_DIR) / kind
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / name


# --- keys ----------------------------------------------------------------------------------


def peer_trust(*, name: str, text: str, actor=None) -> Peer:
    """Register the other side's public keys (a file it sent)."""
    data = keys.parse_public_file(name, text)
    peer, _ = Peer.objects.update_or_create(
        instance_id=data["instance_id"],
        key_id=data["key_id"],
        defaults={
            "tier": data["tier"],
            "county_code": data.get("county_code", ""),
            "signing_public": data["signing_public"],
            "recipient": data["recipient"],
            "added_at": clock.now(),
        },
    )
    audit_record(actor=actor, action=Action.CREATE, obj=peer, detail={"tier": peer.tier, "key": peer.key_id})
    return peer


def province_recipients() -> list[str]:
    """Every registered key of the province: a bundle opens with any of them."""
    found = list(Peer.objects.filter(tier="province").values_list("recipient", flat=True))
    if not found:
        raise Unavailable(errors.NO_PROVINCE)
    return found


# --- county: export ----------------------------------------------------------------------


def bundle_export(*, county_code: str, actor=None) -> Bundle:
    county = Region.objects.filter(code=county_code, level=Level.COUNTY, valid_to__isnull=True).first()
    if county is None or tier() != "county":
        raise Invalid(errors.NOT_A_COUNTY)
    recipients = province_recipients()
    keys.current()
    with transaction.atomic():
        months = export.new_months(county)
        if not months and not export.outbound_messages(county):
            raise Invalid(errors.NOTHING_TO_EXPORT)
        last = Bundle.objects.filter(direction=Direction.OUT, county_code=county.code).order_by("-sequence").first()
        sequence = (last.sequence + 1) if last else 1
        data, manifest, digest, sel = export.build(
            county=county,
            months=months,
            sequence=sequence,
            previous_hash=last.file_hash if last else "",
            recipients=recipients,
        )
        name = f"{county.code}-{sequence:06d}.pimsbundle"
        write_private_bytes(bundle_path("out", name), data)
        bundle = Bundle.objects.create(
            direction=Direction.OUT,
            county_code=county.code,
            source_instance=manifest["source_instance"],
            sequence=sequence,
            state=BundleState.EXPORTED,
            file_hash=digest,
            previous_hash=manifest["previous_hash"],
            periods=manifest["periods"],
            counts={k: v["rows"] for k, v in manifest["tables"].items()},
            file_name=name,
            created_at=clock.now(),
        )
        bundle.months.set(months)
        export.mark_travelled(sel.objects["exchange.Message"])
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=bundle,
            region_code=county.code,
            detail={"sequence": sequence, "periods": len(months), "rows": sum(bundle.counts.values())},
        )
    return bundle


# --- province: import and receipt ---------------------------------------------------------


def _last_applied(county_code: str) -> Bundle | None:
    return (
        Bundle.objects.filter(direction=Direction.IN, county_code=county_code, state=BundleState.APPLIED)
        .order_by("-sequence")
        .first()
    )


def bundle_import(*, data: bytes, name: str = "", actor=None) -> Bundle:
    """Verify and apply one bundle (or hold it for its predecessor); a refusal
    is recorded and raised, and nothing of the bundle is applied."""
    if tier() != "province":
        raise Invalid(errors.NOT_PROVINCE_TIER)
    return import_in_sequence(imports.open_bundle(data), data, name, actor)


def import_in_sequence(opened, data: bytes, name: str, actor, *, relayed: bool = False) -> Bundle:
    """Apply an opened bundle in its sender's sequence: a repeated one is a
    no-op, one after a gap waits. `relayed`: the province's relay bundle read
    at a county (pims.bundles.relay)."""
    manifest = opened.manifest
    county, sequence = manifest["county_code"], int(manifest["sequence"])
    last = _last_applied(county)
    last_seq = last.sequence if last else 0
    if sequence <= last_seq:
        seen = Bundle.objects.filter(direction=Direction.IN, county_code=county, sequence=sequence).exclude(
            state=BundleState.REFUSED
        )
        return seen.first() or _record(opened, name, BundleState.APPLIED, "")
    existing = Bundle.objects.filter(
        direction=Direction.IN, county_code=county, sequence=sequence, state=BundleState.WAITING
    ).first()
    if sequence > last_seq + 1:
        if existing:
            return existing
        write_private_bytes(bundle_path("in", _in_name(county, sequence)), data)
        missing = "、".join(str(n) for n in range(last_seq + 1, sequence))
        return _record(opened, name, BundleState.WAITING, f"等待第 {missing} 号数据包")
    bundle = _apply(opened, name, last, existing, actor, relayed)
    _apply_waiting(county, actor, relayed)
    return bundle


def _in_name(county: str, sequence: int) -> str:
    return f"{county}-{sequence:06d}.pimsbundle"


def _apply(opened, name, last, existing, actor, relayed: bool = False) -> Bundle:
    manifest = opened.manifest
    try:
        if last is not None and manifest["previous_hash"] != last.file_hash:
            raise imports.refuse(errors.FILE_BROKEN, detail="previous_hash does not match the last bundle applied")
        imports.check_rows(opened)
        with transaction.atomic():
            counts = imports.apply(opened, relayed=relayed)
            if relayed:
                relay.delivered(opened)
            else:
                relay.note_arrivals(opened)
            if existing is not None:
                existing.delete()
            bundle = _record(opened, name, BundleState.APPLIED, "", counts=counts)
            audit_record(
                actor=actor,
                action=Action.LOAD,
                obj=bundle,
                region_code=bundle.county_code,
                detail={"sequence": bundle.sequence, "rows": sum(counts.values())},
            )
    except Invalid as exc:
        _record(opened, name, BundleState.REFUSED, exc.message)
        raise
    return bundle


def _apply_waiting(county: str, actor, relayed: bool = False) -> None:
    while True:
        last = _last_applied(county)
        nxt = Bundle.objects.filter(
            direction=Direction.IN,
            county_code=county,
            sequence=(last.sequence if last else 0) + 1,
            state=BundleState.WAITING,
        ).first()
        if nxt is None:
            return
        path = bundle_path("in", _in_name(county, nxt.sequence))
        sender = "province" if relayed else "county"
        _apply(imports.open_bundle(path.read_bytes(), sender_tier=sender), nxt.file_name, last, nxt, actor, relayed)


def _record(opened, name: str, state: str, message: str, counts: dict | None = None) -> Bundle:
    m = opened.manifest
    return Bundle.objects.create(
        direction=Direction.IN,
        county_code=m["county_code"],
        source_instance=str(m.get("source_instance", ""))[:64],
        sequence=int(m["sequence"]),
        state=state,
        file_hash=opened.manifest_hash,
        previous_hash=str(m.get("previous_hash", ""))[:64],
        periods=m.get("periods", []),
        counts=counts or {k: v["rows"] for k, v in m.get("tables", {}).items()},
        file_name=(name or _in_name(m["county_code"], int(m["sequence"])))[:200],
        message=message,
        created_at=clock.now(),
    )


def receipt_for(bundle: Bundle) -> bytes:
    """The signed answer the county reads back (applied, waiting or refused, with the reason)."""
    body = {
        "format": RECEIPT_FORMAT,
        "county_code": bundle.county_code,
        "sequence": bundle.sequence,
        "bundle_hash": bundle.file_hash,
        "state": bundle.state,
        "message": bundle.message,
        "at": clock.now().isoformat(),
    }
    body_bytes = export.canonical(body)
    key_id, signature = keys.sign(body_bytes)
    return export.canonical({"body": body_bytes.decode(), "key_id": key_id, "signature": signature})


# --- county: reading the receipt ----------------------------------------------------------


def receipt_import(*, data: bytes, actor=None) -> Bundle:
    try:
        outer = json.loads(data)
        body_bytes = outer["body"].encode()
        body = json.loads(body_bytes)
        peer = Peer.objects.get(tier="province", key_id=str(outer["key_id"])[:32])
    except (ValueError, KeyError, TypeError, Peer.DoesNotExist):
        raise imports.refuse(errors.FILE_BROKEN, detail="receipt") from None
    if body.get("format") != RECEIPT_FORMAT or not keys.verify(peer.signing_public, body_bytes, outer["signature"]):
        raise imports.refuse(errors.BAD_SIGNATURE)
    bundle = Bundle.objects.filter(
        direction=Direction.OUT,
        county_code=body["county_code"],
        sequence=body["sequence"],
        file_hash=body["bundle_hash"],
    ).first()
    if bundle is None:
        raise Conflict(errors.ACK_UNKNOWN, county=str(body["county_code"])[:12], sequence=body["sequence"])
    with transaction.atomic():
        if body["state"] == BundleState.APPLIED and bundle.state != BundleState.ACKNOWLEDGED:
            now = clock.now()
            bundle.state, bundle.acknowledged_at, bundle.message = BundleState.ACKNOWLEDGED, now, ""
            PeriodApproval.objects.filter(pk__in=bundle.months.values("pk")).update(uploaded_at=now)
        elif body["state"] != BundleState.APPLIED:
            bundle.message = f"{BundleState(body['state']).label}：{body.get('message', '')}"[:2000]
        bundle.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=bundle,
            region_code=bundle.county_code,
            detail={"receipt": body["state"], "sequence": bundle.sequence},
        )
    return bundle


def last_sequence(county_code: str) -> int:
    return Bundle.objects.filter(direction=Direction.IN, county_code=county_code).aggregate(n=Max("sequence"))["n"] or 0


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- province → county: relay bundles of exchange messages (pims.bundles.relay) --------------


def county_recipients(county_code: str) -> list[str]:
    found = list(Peer.objects.filter(tier="county", county_code=county_code).values_list("recipient", flat=True))
    if not found:
        raise Unavailable(errors.NO_COUNTY_KEY, county=county_code[:12])
    return found


def relay_export(*, county_code: str, actor=None) -> Bundle:
    """At the province: the messages waiting for a county, as its next relay
    bundle (sealed to the county's key, signed by the province's)."""
    if tier() != "province":
        raise Invalid(errors.NOT_PROVINCE_TIER)
    recipients = county_recipients(county_code)
    keys.current()
    with transaction.atomic():
        waiting = list(relay.pending(county_code).select_for_update())
        if not waiting:
            raise Invalid(errors.NOTHING_TO_RELAY, county=county_code[:12])
        last = Bundle.objects.filter(direction=Direction.OUT, county_code=county_code).order_by("-sequence").first()
        sequence = (last.sequence + 1) if last else 1
        head = {
            "county_code": county_code,
            "sequence": sequence,
            "previous_hash": last.file_hash if last else "",
            "periods": [],
            "relay": True,
        }
        data, manifest, digest = export.seal(relay.selection(county_code), head, recipients)
        name = f"relay-{county_code}-{sequence:06d}.pimsbundle"
        write_private_bytes(bundle_path("out", name), data)
        bundle = Bundle.objects.create(
            direction=Direction.OUT,
            county_code=county_code,
            source_instance=manifest["source_instance"],
            sequence=sequence,
            state=BundleState.EXPORTED,
            file_hash=digest,
            previous_hash=manifest["previous_hash"],
            periods=[],
            counts={k: v["rows"] for k, v in manifest["tables"].items()},
            file_name=name,
            created_at=clock.now(),
        )
        relay.pending(county_code).filter(pk__in=[r.pk for r in waiting]).update(bundle=bundle)
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=bundle,
            region_code=county_code,
            detail={"relay": True, "sequence": sequence, "messages": bundle.counts.get(relay.MESSAGE, 0)},
        )
    return bundle


def relay_import(*, data: bytes, name: str = "", actor=None) -> Bundle:
    """At a county: the province's relay bundle, verified like an upload and
    applied in sequence (a repeated one changes nothing)."""
    if tier() != "county":
        raise Invalid(errors.NOT_COUNTY_TIER)
    opened = imports.open_bundle(data, sender_tier="province")
    county = str(opened.manifest["county_code"])
    if not Region.objects.filter(code=county, level=Level.COUNTY, valid_to__isnull=True).exists():
        raise imports.refuse(errors.NOT_A_COUNTY)
    return import_in_sequence(opened, data, name, actor, relayed=True)
