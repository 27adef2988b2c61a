"""County → province: approve, accept, export, import at a province with
other keys, and the province's figures equal the county's; the receipt
marks the months uploaded; replay, gaps and every tampering are handled."""

import hashlib
import json

import pyrage
import pytest
from pyrage import x25519

from pims.accounts.roles import Role
from pims.approval.models import PeriodApproval
from pims.bundles import errors, export, keys, services
from pims.bundles.models import Bundle, BundleState, Direction
from pims.events.models import ChangeReport, Event, Spell
from pims.lib import crypto
from pims.lib.errors import Invalid
from pims.registry.models import Birth, Contraception, Household, Marriage, Person, Pregnancy
from pims.stats import selectors as stats
from pims.stats.frame import Params
from pims.testing.fixtures import make_user

from .conftest import PERIOD, bundle_bytes, decrypt_id, parts, resigned, rezip

pytestmark = pytest.mark.django_db

REPORTS = ["population", "change"]


def figures(user, code: str) -> dict:
    return figures_for(user, code, PERIOD)


def figures_for(user, code: str, period: str) -> dict:
    out = {}
    for key in REPORTS:
        for kind in (Spell.Kind.REGISTERED, Spell.Kind.RESIDENT):
            result = stats.report_run(user=user, key=key, code=code, params=Params(period, period, kind))
            for section in result.sections:
                for row in [*section.rows, *([section.total] if section.total else [])]:
                    out[(key, kind, section.key, row.key)] = dict(row.values)
    return out


def empty_register() -> None:
    """What the province holds before its first bundle from this county."""
    Household.objects.update(head=None)
    for m in (Spell, Marriage, Birth, Pregnancy, Contraception):
        m.objects.all().delete()
    Event.objects.update(supersedes=None)
    Event.objects.all().delete()
    ChangeReport.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    PeriodApproval.objects.all().delete()


def test_the_province_gets_the_countys_figures_under_its_own_keys(instances, february, personas, regions):
    township = regions["township_a"].code
    before = figures(personas["county"], township)
    numbers = {p.uuid: decrypt_id(p.id_cipher) for p in Person.objects.exclude(id_cipher="")}
    bundle = services.bundle_export(county_code=regions["county"].code, actor=personas["county"])
    assert bundle.state == BundleState.EXPORTED and bundle.sequence == 1
    assert bundle.counts["registry.Person"] == 8 and bundle.counts["approval.PeriodApproval"] == 1
    data = bundle_bytes(bundle)
    assert "张三".encode() not in data and numbers[next(iter(numbers))].encode() not in data  # sealed
    empty_register()
    with instances["province"]():
        received = services.bundle_import(data=data, name="b1")
        assert received.state == BundleState.APPLIED
        viewer = make_user("province_viewer", Role.PROVINCE_VIEWER, regions["province"])
        assert figures(viewer, township) == before
        for person in Person.objects.exclude(id_cipher=""):
            number = numbers[person.uuid]
            assert decrypt_id(person.id_cipher) == number  # under the province's field key
            assert person.id_index == crypto.blind_index("citizen_id", number)  # the province's index key
        receipt = services.receipt_for(received)
    counts = {m: m.objects.count() for m in (Person, Household, Event, Spell)}
    with instances["province"]():
        again = services.bundle_import(data=data, name="b1 again")  # a replay changes nothing
        assert again.pk == received.pk
        assert {m: m.objects.count() for m in counts} == counts
    acknowledged = services.receipt_import(data=receipt)
    assert acknowledged.pk == bundle.pk and acknowledged.state == BundleState.ACKNOWLEDGED


def test_receipt_marks_the_months_uploaded(instances, february, personas, regions):
    bundle = services.bundle_export(county_code=regions["county"].code)
    data = bundle_bytes(bundle)
    with instances["province"]():
        # The same database plays both parts: the province's copy is the county's rows.
        receipt = services.receipt_for(services.bundle_import(data=data))
    services.receipt_import(data=receipt)
    month = PeriodApproval.objects.get(period=PERIOD)
    assert month.uploaded_at is not None
    with pytest.raises(Invalid) as exc:
        services.bundle_export(county_code=regions["county"].code)
    assert exc.value.template is errors.NOTHING_TO_EXPORT


def _refusal(instances, data) -> Invalid:
    with instances["province"](), pytest.raises(Invalid) as exc:
        services.bundle_import(data=data)
    return exc.value


def test_tampered_bundles_are_refused_whole_naming_the_check(instances, february, regions):
    data = bundle_bytes(services.bundle_export(county_code=regions["county"].code))
    items = parts(data)
    flipped = bytearray(items[export.PAYLOAD])
    flipped[len(flipped) // 2] ^= 1
    cases = {
        errors.PAYLOAD_CHECKSUM: rezip(data, payload=bytes(flipped)),
        errors.BAD_SIGNATURE: rezip(data, manifest=items[export.MANIFEST].replace(b'"sequence":1', b'"sequence":2')),
        errors.FILE_BROKEN: data[: len(data) // 2],
        errors.SCHEMA_FUTURE: resigned(data, lambda m: m.update(schema_version=export.SCHEMA_VERSION + 1)),
        errors.UNKNOWN_SENDER: resigned(data, lambda m: m.update(county_code="210123000000")),
    }
    for template, bad in cases.items():
        assert _refusal(instances, bad).template is template, template
    assert not Bundle.objects.filter(direction=Direction.IN, state=BundleState.APPLIED).exists()


def _with_rows(instances, data: bytes, change) -> bytes:
    """The bundle with its rows changed, sealed and signed again as the county would."""
    with instances["province"]():
        plain = pyrage.decrypt(parts(data)[export.PAYLOAD], keys.all_identities())
    lines = [json.loads(line) for line in plain.splitlines()]
    change(lines)
    body = b"".join(export.canonical(item) + b"\n" for item in lines)
    manifest = json.loads(parts(data)[export.MANIFEST])
    for label in manifest["tables"]:
        mine = b"".join(export.canonical(i) + b"\n" for i in lines if i["t"] == label)
        manifest["tables"][label] = {
            "rows": sum(1 for i in lines if i["t"] == label),
            "sha256": hashlib.sha256(mine).hexdigest(),
        }
    sealed = pyrage.encrypt(body, [x25519.Recipient.from_str(r) for r in manifest["payload"]["recipients"]])
    data = rezip(data, payload=sealed)
    return resigned(
        data,
        lambda m: m.update(
            tables=manifest["tables"], payload={**m["payload"], "sha256": hashlib.sha256(sealed).hexdigest()}
        ),
    )


def test_a_row_outside_the_county_is_refused_with_its_table_and_row(instances, february, regions):
    data = bundle_bytes(services.bundle_export(county_code=regions["county"].code))

    def move_household(lines):
        for item in lines:
            if item["t"] == "registry.Household":
                item["r"]["region_code"] = "210123101200"
                return

    refusal = _refusal(instances, _with_rows(instances, data, move_household))
    assert refusal.template is errors.OUTSIDE_COUNTY
    assert refusal.problems[0].record == "registry.Household" and refusal.problems[0].field == "region_code"
    assert Bundle.objects.get(direction=Direction.IN).state == BundleState.REFUSED


def test_a_changed_row_breaks_its_table_checksum(instances, february, regions):
    data = bundle_bytes(services.bundle_export(county_code=regions["county"].code))
    good = _with_rows(instances, data, lambda lines: None)

    def keep_old_checksum(m):
        m["tables"]["registry.Person"]["rows"] += 1

    assert _refusal(instances, resigned(good, keep_old_checksum)).template is errors.TABLE_CHECKSUM


def test_a_bundle_after_a_gap_waits_until_the_gap_is_filled(instances, february, personas, regions, travel):
    import datetime as dt

    first = services.bundle_export(county_code=regions["county"].code)
    # March, accepted on 10 April: a second bundle.
    from pims.approval import services as approval
    from pims.events import services as events

    travel(dt.date(2027, 3, 15))
    clerk_a2 = type(personas["clerk"]).objects.get(username="clerk_a2")
    for clerk, village in ((personas["clerk"], regions["village_a1"]), (clerk_a2, regions["village_a2"])):
        report = events.change_report_create(actor=clerk, region_code=village.code, period="2027-03")
        events.change_report_approve(
            actor=personas["reviewer"], report=events.change_report_submit(actor=clerk, report=report)
        )
    travel(dt.date(2027, 4, 10))
    approval.period_approve(actor=personas["reviewer"], township=regions["township_a"], period="2027-03")
    approval.period_accept(actor=personas["county"], township=regions["township_a"], period="2027-03")
    second = services.bundle_export(county_code=regions["county"].code)
    assert second.sequence == 2 and second.previous_hash == first.file_hash
    one, two = bundle_bytes(first), bundle_bytes(second)
    with instances["province"]():
        waiting = services.bundle_import(data=two)
        assert waiting.state == BundleState.WAITING and "1" in waiting.message
        services.bundle_import(data=one)
        states = dict(Bundle.objects.filter(direction=Direction.IN).values_list("sequence", "state"))
    assert states == {1: BundleState.APPLIED, 2: BundleState.APPLIED}


def test_selection_does_not_depend_on_the_query_chunk_size(instances, february, regions, monkeypatch):
    from pims.approval.models import PeriodApproval as Month

    county, months = regions["county"], list(Month.objects.all())
    whole = {label: [o.pk for o in objs] for label, objs in export.select(county, months).objects.items()}
    monkeypatch.setattr(export, "CHUNK", 1)
    assert {label: [o.pk for o in objs] for label, objs in export.select(county, months).objects.items()} == whole
    assert len(whole["registry.Person"]) == 8
