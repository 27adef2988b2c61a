"""The region screen's rename (issue 15.10): the code stays, the old name stays
in the history with its date and basis, audited; only the system administrator."""

import datetime as dt

from django.urls import reverse

from pims.audit.models import AuditEntry
from pims.lib.errors import Invalid, NotPermitted
from pims.regions import services
from pims.regions.models import Region, RegionHistory
from pims.testing.errors import refused


def test_sysadmin_renames_a_village_and_the_history_keeps_the_old_name(personas, regions, client_for):
    village = regions["village_a2"]
    url = reverse("regions:detail", args=[village.code])
    page = client_for("sysadmin")
    assert 'data-testid="rename-region"' in page.get(url).content.decode()
    page.post(url, {"name": "拉马桥社区", "effective": "2027-01-01", "basis": "法政发〔2026〕12 号"})
    village.refresh_from_db()
    assert village.name == "拉马桥社区" and village.code == "210124101201"
    h = RegionHistory.objects.get(region=village, change="renamed")
    assert (h.old_value, h.new_value, h.effective) == ("拉马桥村委会", "拉马桥社区", dt.date(2027, 1, 1))
    assert "法政发〔2026〕12 号" in h.source
    entry = AuditEntry.objects.get(object_type="regions.region", detail__what="region_rename")
    assert entry.detail["before"] == "拉马桥村委会" and entry.actor == personas["sysadmin"]
    assert "拉马桥村委会" in page.get(url).content.decode()  # shown in the history


def test_rename_refusals(personas, regions, client_for):
    village = regions["village_a2"]
    with refused(NotPermitted, services.RENAME_NOT_YOURS):
        services.region_rename(
            actor=personas["county"], region=village, name="新名", effective=dt.date(2027, 1, 1), basis="依据文件"
        )
    with refused(Invalid, services.RENAME_INVALID):
        services.region_rename(
            actor=personas["sysadmin"],
            region=village,
            name="拉马桥村委会",
            effective=dt.date(2027, 1, 1),
            basis="依据文件",
        )
    with refused(Invalid, services.RENAME_INVALID):
        services.region_rename(
            actor=personas["sysadmin"], region=village, name="新名称", effective=dt.date(2027, 1, 1), basis=""
        )
    url = reverse("regions:detail", args=[village.code])
    assert client_for("operator").post(url, {"name": "x社区", "basis": "依据文件"}).status_code == 404
    assert Region.objects.get(pk=village.pk).name == "拉马桥村委会"
