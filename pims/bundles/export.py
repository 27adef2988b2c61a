"""Writing a county's bundle (issue 19.2): the months it accepted since the
last bundle, as one signed file.

File layout (a zip): ``manifest.json`` (readable: what is inside, per-table
row counts and SHA-256 checksums, the payload's checksum, the previous
bundle's hash), ``manifest.sig`` (Ed25519 over the manifest's bytes) and
``payload.jsonl.age`` — JSON Lines, one ``{"t": table, "r": row}`` per line,
encrypted with age to the province's key. JSON Lines rather than Parquet:
the rows are nested and few per month (≈ 2,000 events), the format needs no
schema registry on either side, streams line by line, and stays readable
with standard tools when an operator must look inside; the de-identified
national snapshot, which is columnar and large, is where Parquet belongs.

What a bundle holds: the approved events of its months (region and approval
month), and the current rows of every record they touch — persons and their
households, family links and the persons on their other side, spells, the
change reports, and the month rows. A spell closed by an event of a month
not yet accepted travels open; the close comes with that month. Beside them,
the exchange messages between this county and another, changed since they
last travelled (the province relays each to the other party's county:
pims.bundles.relay).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

import pyrage
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import F, Q
from pyrage import x25519

from pims.approval.models import ApprovalState, PeriodApproval
from pims.events.models import ChangeReport, Event, Spell
from pims.lib import clock
from pims.regions.models import Region
from pims.registry.models import Birth, Contraception, Household, Marriage, Person, Pregnancy

from . import keys, tables

FORMAT = "pims-bundle"
SCHEMA_VERSION = 1
MANIFEST, SIGNATURE, PAYLOAD = "manifest.json", "manifest.sig", "payload.jsonl.age"
CLOSE_FIELDS = ("end", "close_reason", "close_period", "destination_code")


@dataclass
class Selection:
    objects: dict[str, list] = field(default_factory=lambda: defaultdict(list))


def new_months(county: Region) -> list[PeriodApproval]:
    """Accepted months of the county in no bundle yet, oldest first."""
    return list(
        PeriodApproval.objects.filter(region_code__startswith=county.prefix, state=ApprovalState.ACCEPTED)
        .exclude(bundles__direction="out")
        .order_by("period", "region_code")
    )


def _month_q(months, region_field: str = "region_code") -> Q:
    return reduce(
        or_,
        (Q(approved_period=m.period, **{f"{region_field}__startswith": m.region_code[:9]}) for m in months),
        Q(pk__in=[]),
    )


def _accepted_keys(county: Region) -> set[tuple[str, str]]:
    return {
        (code[:9], period)
        for code, period in PeriodApproval.objects.filter(
            region_code__startswith=county.prefix, state=ApprovalState.ACCEPTED
        ).values_list("region_code", "period")
    }


CHUNK = 5000  # ids per IN (…): below every backend's limit on bound parameters


def _chunks(ids) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def _rows_where_in(model, fields: tuple[str, ...], ids) -> list:
    """Rows whose any of `fields` is in `ids`, queried in chunks, each row once, in pk order."""
    found: dict[int, object] = {}
    for name in fields:
        for chunk in _chunks(ids):
            for obj in model._default_manager.filter(**{f"{name}__in": chunk}):
                found[obj.pk] = obj
    return [found[pk] for pk in sorted(found)]


def _values_where_in(model, column: str, ids, **extra) -> set:
    out: set = set()
    for chunk in _chunks(ids):
        out |= set(model._default_manager.filter(pk__in=chunk, **extra).values_list(column, flat=True))
    return out


def select(county: Region, months: list[PeriodApproval]) -> Selection:
    events = list(Event.objects.filter(_month_q(months), review_status=Event.Review.APPROVED).order_by("id"))
    person_ids = {e.person_id for e in events if e.person_id} | {
        e.related_person_id for e in events if e.related_person_id
    }
    household_ids = {e.household_id for e in events if e.household_id}
    family: dict[str, list] = {}
    for _ in range(2):  # the persons on the other side of a link, and their households
        household_ids |= _values_where_in(Person, "household_id", person_ids)
        person_ids |= _values_where_in(Household, "head_id", household_ids, head__isnull=False)
        family = {
            "registry.Marriage": _rows_where_in(Marriage, ("husband_id", "wife_id"), person_ids),
            "registry.Birth": _rows_where_in(Birth, ("child_id", "mother_id", "father_id"), person_ids),
            "registry.Pregnancy": _rows_where_in(Pregnancy, ("woman_id",), person_ids),
            "registry.Contraception": _rows_where_in(Contraception, ("woman_id",), person_ids),
        }
        for m in family["registry.Marriage"]:
            person_ids |= {m.husband_id, m.wife_id}
        for b in family["registry.Birth"]:
            person_ids |= {b.child_id} | {p for p in (b.mother_id, b.father_id) if p}
    household_ids |= _values_where_in(Person, "household_id", person_ids)
    sel = Selection()
    sel.objects["registry.Household"] = _rows_where_in(Household, ("pk",), household_ids)
    sel.objects["registry.Person"] = _rows_where_in(Person, ("pk",), person_ids)
    sel.objects["events.ChangeReport"] = _rows_where_in(
        ChangeReport, ("pk",), {e.report_id for e in events if e.report_id}
    )
    sel.objects["events.Event"] = events
    sel.objects["events.Spell"] = _spells(county, person_ids)
    for label, rows in family.items():
        sel.objects[label] = rows
    sel.objects["approval.PeriodApproval"] = list(months)
    sel.objects["exchange.Message"] = outbound_messages(county)
    return sel


def outbound_messages(county: Region) -> list:
    """Messages between this county and another (whose instance the
    province relays to) changed since they last travelled; never a draft."""
    from pims.exchange.models import Message, State

    inside_sender = Q(sender_code__startswith=county.prefix)
    inside_receiver = Q(receiver_code__startswith=county.prefix)
    return list(
        Message.objects.filter(inside_sender ^ inside_receiver, version__gt=F("travelled_version"))
        .exclude(state=State.DRAFT)
        .order_by("id")
    )


def mark_travelled(messages) -> None:
    """Each message travelled at the version the bundle holds (a later change travels again)."""
    from pims.exchange.models import Message

    for m in messages:
        Message.objects.filter(pk=m.pk, version=m.version).update(travelled_version=m.version)


def _spells(county: Region, person_ids: set[int]) -> list[Spell]:
    """Spells opened by an accepted event; closed by one not yet accepted → sent open."""
    accepted = _accepted_keys(county)

    def ok(event: Event | None) -> bool:
        return event is not None and (event.region_code[:9], event.approved_period) in accepted

    spells: list[Spell] = []
    for chunk in _chunks(person_ids):
        spells += Spell.objects.filter(person_id__in=chunk).select_related("opened_by", "closed_by")
    out = []
    for spell in sorted(spells, key=lambda s: s.pk):
        if not ok(spell.opened_by):
            continue
        if spell.closed_by_id and not ok(spell.closed_by):
            spell.closed_by = None
            for name in CLOSE_FIELDS:
                setattr(spell, name, None if name == "end" else "")
        out.append(spell)
    return out


def _uuid_map(sel: Selection) -> dict[tuple[str, int], str]:
    """(table, pk) → uuid for every record a selected row points to."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for label, objs in sel.objects.items():
        for f in tables.fk_fields(tables.model(label)):
            if tables.travelling_fk(f):
                target = f.related_model._meta.label  # type: ignore[union-attr]
                wanted[target] |= {getattr(o, f.attname) for o in objs if getattr(o, f.attname) is not None}
    out = {}
    for target, pks in wanted.items():
        for chunk in _chunks(pks):
            for pk, value in tables.model(target)._default_manager.filter(pk__in=chunk).values_list("pk", "uuid"):
                out[(target, pk)] = str(value)
    return out


def _region_codes(sel: Selection) -> dict[int, str]:
    pks = set()
    for label, objs in sel.objects.items():
        for f in tables.fk_fields(tables.model(label)):
            if tables.region_fk(f):
                pks |= {getattr(o, f.attname) for o in objs}
    return {
        pk: code for chunk in _chunks(pks) for pk, code in Region.objects.filter(pk__in=chunk).values_list("pk", "code")
    }


def canonical(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_payload(sel: Selection, sink) -> dict[str, dict]:
    """Write the JSON Lines to `sink`; per table its row count and checksum."""
    uuids, codes = _uuid_map(sel), _region_codes(sel)
    summary = {}
    for label in tables.ORDER:
        digest, n = hashlib.sha256(), 0
        for obj in sel.objects.get(label, []):
            line = canonical({"t": label, "r": tables.row_of(label, obj, uuids, codes)}) + b"\n"
            digest.update(line)
            sink.write(line)
            n += 1
        summary[label] = {"rows": n, "sha256": digest.hexdigest()}
    return summary


def schema_state() -> dict[str, str]:
    """The latest applied migration of each app the bundle's tables belong to."""
    apps_ = {label.split(".")[0] for label in tables.ORDER}
    latest: dict[str, str] = {}
    for app, name in (
        MigrationRecorder.Migration.objects.filter(app__in=apps_).order_by("app", "name").values_list("app", "name")
    ):
        latest[app] = name
    return latest


def build(*, county: Region, months: list[PeriodApproval], sequence: int, previous_hash: str, recipients: list[str]):
    """The bundle file's bytes, its manifest and its hash (and the selection)."""
    sel = select(county, months)
    head = {"county_code": county.code, "sequence": sequence, "previous_hash": previous_hash}
    head["periods"] = [[m.region_code, m.period] for m in months]
    return (*seal(sel, head, recipients), sel)


def seal(sel: Selection, head: dict, recipients: list[str]):
    """Write, encrypt to `recipients` and sign the selection: (file bytes, manifest, manifest hash).
    `head`: county_code, sequence, previous_hash, periods (and relay for the province's bundles)."""
    with (
        tempfile.SpooledTemporaryFile(max_size=64 << 20) as plain,
        tempfile.SpooledTemporaryFile(max_size=64 << 20) as sealed,
    ):
        summary = write_payload(sel, plain)
        plain.seek(0)
        pyrage.encrypt_io(plain, sealed, [x25519.Recipient.from_str(r) for r in recipients])
        sealed.seek(0)
        payload = sealed.read()
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "source_instance": keys.instance_id(),
        **head,
        "created_at": clock.now().isoformat(),
        "tables": summary,
        "payload": {"name": PAYLOAD, "sha256": hashlib.sha256(payload).hexdigest(), "recipients": recipients},
        "migrations": schema_state(),
    }
    manifest_bytes = canonical(manifest)
    key_id, signature = keys.sign(manifest_bytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(MANIFEST, manifest_bytes)
        z.writestr(SIGNATURE, canonical({"key_id": key_id, "signature": signature}))
        z.writestr(PAYLOAD, payload)
    return buffer.getvalue(), manifest, hashlib.sha256(manifest_bytes).hexdigest()
