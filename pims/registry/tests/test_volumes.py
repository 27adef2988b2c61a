"""The volume register (装订册, issue 15.14): where any household's paper form is."""

import pytest
from django.urls import reverse

from pims.audit.models import AuditEntry
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry import errors, volumes
from pims.testing.errors import refused

from .factories import make_household

VOLUME = {"number": "V-01", "kept_at": "大孤家子镇计生办档案柜 3 号", "holder": "王会计"}


def test_registered_volume_says_where_each_form_is(personas, regions, client_for):
    village = regions["village_a1"]
    in_volume = make_household(village, number="0001", volume_number="V-01")
    make_household(regions["village_a2"], number="0002", volume_number="V-01")  # same number, other village
    volume = volumes.volume_save(actor=personas["clerk"], data=VOLUME, village=village)
    assert list(volumes.volume_forms(volume)) == [in_volume]
    assert volumes.household_volume(in_volume) == volume
    detail = client_for("clerk").get(reverse("registry:household_detail", args=[in_volume.pk])).content.decode()
    assert "大孤家子镇计生办档案柜 3 号" in detail and "王会计" in detail
    listing = client_for("operator").get(reverse("registry:volume_list")).content.decode()
    assert "V-01" in listing and "采集表上有、尚未登记的册号" in listing and "拉马桥村委会" in listing


def test_moving_a_volume_is_audited_and_keeps_village_and_number(personas, regions):
    volume = volumes.volume_save(actor=personas["clerk"], data=VOLUME, village=regions["village_a1"])
    moved = volumes.volume_save(
        actor=personas["operator"],
        data={**VOLUME, "number": "X-99", "kept_at": "镇档案室", "holder": "李主任"},
        volume=volume,
    )
    assert (moved.number, moved.kept_at, moved.holder, moved.village) == (
        "V-01",
        "镇档案室",
        "李主任",
        regions["village_a1"],
    )
    entry = AuditEntry.objects.filter(object_type="registry.volume", action="update").get()
    assert entry.detail["before"] == {"kept_at": VOLUME["kept_at"], "holder": "王会计"}


def test_refusals(personas, regions):
    volumes.volume_save(actor=personas["clerk"], data=VOLUME, village=regions["village_a1"])
    with refused(Conflict, errors.VOLUME_NUMBER_TAKEN):
        volumes.volume_save(actor=personas["operator"], data=VOLUME, village=regions["village_a1"])
    with refused(Invalid, errors.VOLUME_INVALID):
        volumes.volume_save(actor=personas["operator"], data={"number": "V-02"}, village=regions["village_a1"])
    with refused(NotPermitted, errors.VOLUME_NOT_YOURS):
        volumes.volume_save(actor=personas["outsider"], data=VOLUME, village=regions["village_a1"])
    with refused(NotPermitted, errors.VOLUME_NOT_YOURS):
        volumes.volume_save(actor=personas["auditor"], data=VOLUME, village=regions["village_a1"])


@pytest.mark.parametrize("persona", ["outsider", "auditor"])
def test_outsider_sees_no_volume_of_township_a(persona, personas, regions, client_for):
    volume = volumes.volume_save(actor=personas["clerk"], data=VOLUME, village=regions["village_a1"])
    assert client_for(persona).get(reverse("registry:volume_detail", args=[volume.pk])).status_code == 404
    listing = client_for(persona).get(reverse("registry:volume_list"))
    assert listing.status_code == 404 or "王会计" not in listing.content.decode()
