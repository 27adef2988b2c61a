"""Two instances in one test database: a county and the province, each with
its own bundle directory and keys; the province also has its own field
encryption and blind-index keys. `province()` switches the settings to it."""

import base64
import contextlib
import datetime as dt
import io
import json
import zipfile

import pytest

from pims.accounts.roles import Role
from pims.approval import services as approval
from pims.bundles import export, keys, services
from pims.events import services as events
from pims.events.tests.conftest import approved_household
from pims.lib import crypto
from pims.testing.fixtures import make_user

PERIOD = "2027-02"
PROVINCE_FIELD_KEY = base64.b64encode(b"p" * 32).decode()


@pytest.fixture
def instances(settings, tmp_path, regions):
    county_dir, province_dir = tmp_path / "county", tmp_path / "province"
    settings.BUNDLE_DIR = province_dir
    keys.init()
    province_public = services.public_text(keys.public_file(tier="province"))
    settings.BUNDLE_DIR = county_dir
    keys.init()
    county_public = services.public_text(keys.public_file(tier="county", county_code=regions["county"].code))
    services.peer_trust(name="province.json", text=province_public)
    services.peer_trust(name="county.json", text=county_public)
    county_settings = {"BUNDLE_DIR": county_dir, "PIMS_TIER": "county"}

    @contextlib.contextmanager
    def province():
        saved = {
            k: getattr(settings, k) for k in ("BUNDLE_DIR", "PIMS_TIER", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY")
        }
        settings.BUNDLE_DIR, settings.PIMS_TIER = province_dir, "province"
        settings.FIELD_ENCRYPTION_KEYS, settings.BLIND_INDEX_KEY = [PROVINCE_FIELD_KEY], "province-index-key"
        try:
            yield
        finally:
            for k, v in saved.items():
                setattr(settings, k, v)

    return {"province": province, "county": county_settings}


@pytest.fixture
def february(travel, codes, personas, regions, monkeypatch):
    """Township A's February: two families collected and approved, both
    villages reported, the month approved and accepted (on 10 March)."""
    monkeypatch.setattr("pims.registry.tests.conftest.COLLECTED_ON", dt.date(2027, 2, 1))
    travel(dt.date(2027, 2, 10))
    households = [
        approved_household(personas, regions["village_a1"], number="0001"),
        approved_household(personas, regions["village_a2"], number="0002", seq=1),
    ]
    clerk_a2 = make_user("clerk_a2", Role.VILLAGE_CLERK, regions["village_a2"])
    for clerk, village in ((personas["clerk"], regions["village_a1"]), (clerk_a2, regions["village_a2"])):
        report = events.change_report_create(actor=clerk, region_code=village.code, period=PERIOD)
        report = events.change_report_submit(actor=clerk, report=report)
        events.change_report_approve(actor=personas["reviewer"], report=report)
    travel(dt.date(2027, 3, 10))
    approval.period_approve(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD)
    approval.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    return households


def bundle_bytes(bundle) -> bytes:
    return services.bundle_path("out", bundle.file_name).read_bytes()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(data: bytes, **replace: bytes) -> bytes:
    items = {
        **parts(data),
        **{
            export.MANIFEST if k == "manifest" else export.PAYLOAD if k == "payload" else export.SIGNATURE: v
            for k, v in replace.items()
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, value in items.items():
            z.writestr(name, value)
    return buffer.getvalue()


def resigned(data: bytes, change_manifest) -> bytes:
    """The bundle with its manifest changed and signed again by the county's own key
    (so that only the check under test can catch it). Call with the county's settings."""
    manifest = json.loads(parts(data)[export.MANIFEST])
    change_manifest(manifest)
    body = export.canonical(manifest)
    key_id, signature = keys.sign(body)
    return rezip(data, manifest=body, signature=export.canonical({"key_id": key_id, "signature": signature}))


def decrypt_id(token: str) -> str:
    return crypto.decrypt(token, aad=b"citizen_id")
