"""Renames, reparenting, retirement and restoration against the small fixture tree."""

import datetime as dt

import pytest
from django.core.management import call_command

from pims.regions.models import Level, Region, RegionHistory

from .helpers import write_csv

pytestmark = pytest.mark.django_db

Change = RegionHistory.Change

FULL = [
    "210124101,大孤家子镇,township,210124",
    "210124101200,大孤家子村委会,village,210124101",
    "210124101201,拉马桥村委会,village,210124101",
    "210124102,三面船镇,township,210124",
    "210124102200,三面船村委会,village,210124102",
]


def history(code: str) -> list[tuple]:
    return list(
        RegionHistory.objects.filter(region__code=code)
        .exclude(change=Change.CREATED)
        .values_list("change", "old_value", "new_value", "effective", "source")
    )


def test_unchanged_file_writes_no_history(regions, tmp_path):
    call_command("load_regions", str(write_csv(tmp_path, "faku.csv", FULL)))
    assert not RegionHistory.objects.exists()


def test_rename_updates_and_records_history(regions, tmp_path):
    lines = [FULL[0].replace("大孤家子镇", "大孤家子街道"), *FULL[1:]]
    call_command("load_regions", str(write_csv(tmp_path, "renamed.csv", lines)), effective="2024-03-01")

    assert Region.objects.get(code="210124101000").name == "大孤家子街道"
    assert history("210124101000") == [
        (Change.RENAMED, "大孤家子镇", "大孤家子街道", dt.date(2024, 3, 1), "renamed.csv")
    ]
    assert RegionHistory.objects.count() == 1


def test_wrong_parent_in_db_is_reparented(regions, tmp_path):
    Region.objects.create(
        code="210124101202",
        name="大岭村委会",
        level=Level.VILLAGE,
        parent=regions["township_b"],
        valid_from=dt.date(2020, 1, 1),
    )
    lines = [*FULL, "210124101202,大岭村委会,village,210124101"]
    call_command("load_regions", str(write_csv(tmp_path, "fix.csv", lines)), effective="2024-03-01")

    assert Region.objects.get(code="210124101202").parent == regions["township_a"]
    assert history("210124101202") == [
        (Change.REPARENTED, "210124102000", "210124101000", dt.date(2024, 3, 1), "fix.csv")
    ]


def test_absent_region_is_retired_then_restored(regions, tmp_path):
    without_b = [line for line in FULL if "210124102" not in line]
    call_command("load_regions", str(write_csv(tmp_path, "v2.csv", without_b)), effective="2024-03-01")

    retired = Region.objects.filter(valid_to__isnull=False).order_by("code")
    assert [(r.code, r.valid_to) for r in retired] == [
        ("210124102000", dt.date(2024, 3, 1)),
        ("210124102200", dt.date(2024, 3, 1)),
    ]
    assert history("210124102200") == [(Change.RETIRED, "三面船村委会", "", dt.date(2024, 3, 1), "v2.csv")]
    assert Region.objects.count() == 8  # never deleted

    call_command("load_regions", str(write_csv(tmp_path, "v3.csv", FULL)), effective="2024-09-01")

    assert not Region.objects.filter(valid_to__isnull=False).exists()
    assert history("210124102200")[-1] == (Change.RESTORED, "2024-03-01", "", dt.date(2024, 9, 1), "v3.csv")


def test_retirement_stays_within_the_files_scope(regions, tmp_path):
    # A file listing only township A's villages covers villages under township A.
    lines = ["210124101200,大孤家子村委会,village,210124101"]
    call_command("load_regions", str(write_csv(tmp_path, "a_only.csv", lines)))

    assert list(Region.objects.filter(valid_to__isnull=False).values_list("code", flat=True)) == ["210124101201"]


def test_new_region_under_new_parent_in_same_file(regions, tmp_path):
    lines = [*FULL, "210124103,新镇,township,210124", "210124103201,新村委会,village,210124103"]
    call_command("load_regions", str(write_csv(tmp_path, "new.csv", lines)))

    village = Region.objects.get(code="210124103201")
    assert village.parent.code == "210124103000" and village.parent.parent == regions["county"]
    assert RegionHistory.objects.filter(change=Change.CREATED).count() == 2
