"""Exchange messages between two county instances through the province
(issue 18.2, 19.6): county A's upload carries its message to county B; the
province relays it in a sealed, signed bundle to B, where it arrives
delivered; B's receipt and answer travel back the same way. Replaying any
bundle changes nothing. The tests share one database, so each hop first
empties the messages, as if the next instance held none of them yet."""

import contextlib
import datetime as dt

import pytest

from pims.accounts.roles import Role
from pims.audit.models import Action, AuditEntry
from pims.bundles import errors, imports, keys, services
from pims.bundles.models import Bundle, BundleState, Direction, Relay
from pims.exchange import services as exchange
from pims.exchange.models import Kind, Message, State, Topic
from pims.lib.errors import Invalid
from pims.regions.models import Level, Region
from pims.registry.tests.factories import make_couple
from pims.testing.fixtures import make_user

from .conftest import bundle_bytes

pytestmark = pytest.mark.django_db

KANGPING = [
    ("210123000000", "康平县", Level.COUNTY, "210100000000"),
    ("210123100000", "康平镇", Level.TOWNSHIP, "210123000000"),
]


@pytest.fixture
def county_b(settings, tmp_path, regions, instances):
    """A second county instance (康平县) with its own keys, known to the province."""
    made = {}
    for code, name, level, parent in KANGPING:
        made[code] = Region.objects.create(
            code=code, name=name, level=level, parent=Region.objects.get(code=parent), valid_from=dt.date(2023, 6, 30)
        )
    a_dir, b_dir = settings.BUNDLE_DIR, tmp_path / "county_b"
    settings.BUNDLE_DIR = b_dir
    keys.init()
    services.peer_trust(
        name="b.json", text=services.public_text(keys.public_file(tier="county", county_code="210123000000"))
    )
    settings.BUNDLE_DIR = a_dir

    @contextlib.contextmanager
    def at_b():
        settings.BUNDLE_DIR = b_dir
        try:
            yield
        finally:
            settings.BUNDLE_DIR = a_dir

    return {"county": made["210123000000"], "township": made["210123100000"], "at": at_b}


def another_instance() -> None:
    """What the next instance holds before the bundle: none of these messages."""
    Message.objects.update(reply_to=None)
    Message.objects.all().delete()


def test_a_message_reaches_another_county_through_the_province_and_its_answer_comes_back(
    instances, county_b, personas, regions
):
    hh, husband, wife = make_couple(regions["village_a1"])
    operator_b = make_user("operator_kp", Role.TOWNSHIP_OPERATOR, county_b["township"])
    draft = exchange.message_draft(
        actor=personas["operator"],
        kind=Kind.INQUIRY,
        topic=Topic.OTHER,
        receiver_code=county_b["township"].code,
        person=wife,
        text="请核实其在康平镇的居住情况",
    )
    inquiry = exchange.message_send(actor=personas["operator"], message=draft)
    assert inquiry.forwarding  # between counties: the routing node forwards (here the province)
    # County A → province: the upload carries the message (no month is needed).
    up_a = services.bundle_export(county_code=regions["county"].code, actor=personas["county"])
    assert up_a.counts["exchange.Message"] == 1 and up_a.periods == []
    assert not _outbound(regions["county"])  # it travelled, once
    data_up_a = bundle_bytes(up_a)
    another_instance()
    with instances["province"]():
        rows = imports.open_bundle(data_up_a).rows["exchange.Message"]
        assert "household" not in rows[0] and "travelled_version" not in rows[0]  # local to the county
        services.bundle_import(data=data_up_a, name="a1")
        held = Message.objects.get(uuid=inquiry.uuid)
        assert held.state == State.SENT and held.payload["name"] == wife.name
        assert list(Relay.objects.values_list("to_county", flat=True)) == [county_b["county"].code]
        down_b = services.relay_export(county_code=county_b["county"].code)
        assert AuditEntry.objects.filter(action=Action.EXPORT, detail__relay=True).count() == 1
        assert down_b.counts["exchange.Message"] == 1
        data_b = services.bundle_path("out", down_b.file_name).read_bytes()
        with pytest.raises(Invalid) as exc:
            services.relay_export(county_code=county_b["county"].code)
        assert exc.value.template is errors.NOTHING_TO_RELAY
    assert wife.name.encode() not in data_b  # sealed to county B
    # Province → county B: delivered, as the province routed it; replay changes nothing.
    another_instance()
    with county_b["at"]():
        got = services.relay_import(data=data_b, name="r1")
        assert got.state == BundleState.APPLIED
        arrived = Message.objects.get(uuid=inquiry.uuid)
        assert arrived.state == State.FORWARDED and arrived.receiver_code == county_b["township"].code
        assert arrived.travelled_version == arrived.version and arrived.created_by is None
        before = list(Message.objects.values_list("uuid", "state", "version"))
        again = services.relay_import(data=data_b, name="r1-again")
        assert again.pk == got.pk and list(Message.objects.values_list("uuid", "state", "version")) == before
        assert Bundle.objects.filter(direction=Direction.IN, county_code=county_b["county"].code).count() == 1
        exchange.message_receive(actor=operator_b, message=arrived)
        feedback = exchange.message_answer(actor=operator_b, message=arrived, text="已核实：现居康平镇")
        up_b = services.bundle_export(county_code=county_b["county"].code)
        assert up_b.counts["exchange.Message"] == 2  # the answered 协查 and its 反馈
    data_up_b = bundle_bytes_at(county_b, up_b)
    another_instance()
    with instances["province"]():
        services.bundle_import(data=data_up_b, name="b1")
        down_a = services.relay_export(county_code=regions["county"].code)
        data_a = services.bundle_path("out", down_a.file_name).read_bytes()
    # Province → county A: the 协查 is answered and the 反馈 awaits receipt.
    another_instance()
    services.relay_import(data=data_a, name="ra1")
    answered = Message.objects.get(uuid=inquiry.uuid)
    reply = Message.objects.get(uuid=feedback.uuid)
    assert answered.state == State.ANSWERED and reply.reply_to == answered and reply.state == State.FORWARDED
    exchange.message_receive(actor=personas["operator"], message=reply)
    assert Message.objects.get(uuid=feedback.uuid).state == State.RECEIVED
    # A's receipt of the 反馈 travels on to B in A's next upload.
    assert [m.uuid for m in _outbound(regions["county"])] == [feedback.uuid]


def test_an_older_version_never_undoes_a_later_one(instances, county_b, personas, regions):
    hh, husband, wife = make_couple(regions["village_a1"])
    inquiry = exchange.message_send(
        actor=personas["operator"],
        message=exchange.message_draft(
            actor=personas["operator"],
            kind=Kind.INQUIRY,
            topic=Topic.OTHER,
            receiver_code=county_b["township"].code,
            person=wife,
        ),
    )
    up_a = services.bundle_export(county_code=regions["county"].code)
    Message.objects.filter(pk=inquiry.pk).update(state=State.RECEIVED, version=inquiry.version + 5)
    data = bundle_bytes(up_a)
    with instances["province"]():
        services.bundle_import(data=data, name="a1")
    assert Message.objects.get(pk=inquiry.pk).state == State.RECEIVED  # the later version stays


def test_a_relay_bundle_is_refused_unless_the_province_signed_it(instances, county_b, personas, regions):
    hh, husband, wife = make_couple(regions["village_a1"])
    exchange.message_send(
        actor=personas["operator"],
        message=exchange.message_draft(
            actor=personas["operator"],
            kind=Kind.INQUIRY,
            topic=Topic.OTHER,
            receiver_code=county_b["township"].code,
            person=wife,
        ),
    )
    data = bundle_bytes(services.bundle_export(county_code=regions["county"].code))
    with pytest.raises(Invalid):  # a county's upload is no relay bundle
        services.relay_import(data=data)
    with instances["province"](), pytest.raises(Invalid) as exc:
        imports.open_bundle(data, sender_tier="province")
    assert exc.value.template is errors.FILE_BROKEN
    with pytest.raises(Invalid) as exc:  # only the province imports uploads
        services.bundle_import(data=data)
    assert exc.value.template is errors.NOT_PROVINCE_TIER


def _outbound(county):
    from pims.bundles import export

    return export.outbound_messages(county)


def bundle_bytes_at(county_b, bundle) -> bytes:
    with county_b["at"]():
        return services.bundle_path("out", bundle.file_name).read_bytes()
