"""The bundled national county list and the townships and villages of Liaoning's counties."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count

from pims.audit.models import Action, AuditEntry
from pims.regions.models import Level, Region, RegionHistory

from .helpers import db_state, write_csv

pytestmark = pytest.mark.django_db

# china_counties.csv has 3,351 rows: 31 provinces, 342 prefecture-level rows and
# 2,978 county-level rows. Three county rows (441900 东莞市, 442000 中山市,
# 460400 儋州市) pad to the same 12-digit code as their city and are skipped,
# so 2,975 counties reach the database. 620201 嘉峪关市 does not collide and is kept.
EXPECTED_LEVELS = {
    Level.PROVINCE: 31,
    Level.CITY: 342,
    Level.COUNTY: 2975,
    Level.TOWNSHIP: 19,
    Level.VILLAGE: 245,
}


def level_counts() -> dict[str, int]:
    return dict(Region.objects.values_list("level").annotate(n=Count("id")))


def test_bundled_load_gives_exact_counts_per_level(capsys):
    call_command("load_regions")

    assert level_counts() == EXPECTED_LEVELS
    assert Region.objects.count() == 3348 + 264 == 3612
    assert Region.objects.filter(code__startswith="210124", level=Level.TOWNSHIP).count() == 19
    assert Region.objects.filter(code__startswith="210124", level=Level.VILLAGE).count() == 245
    assert RegionHistory.objects.filter(change=RegionHistory.Change.CREATED).count() == 3612
    out = capsys.readouterr().out
    assert "china_counties.csv: created=3348" in out and "skipped=3" in out
    assert "441900, 442000, 460400" in out
    assert "liaoning_townships_villages.csv[210124]: created=264" in out


def test_pseudo_county_is_skipped_and_its_city_kept():
    call_command("load_regions")

    dongguan = Region.objects.get(code="441900000000")
    assert (dongguan.name, dongguan.level, dongguan.parent.code) == ("东莞市", Level.CITY, "440000000000")
    jiayuguan = Region.objects.get(code="620201000000")
    assert (jiayuguan.level, jiayuguan.parent.code) == (Level.COUNTY, "620200000000")


def test_loaded_tree_is_consistent():
    call_command("load_regions")

    faku = Region.objects.get(code="210124000000")
    assert (faku.name, faku.parent.code, faku.parent.parent.code) == ("法库县", "210100000000", "210000000000")
    village = Region.objects.select_related("parent").get(code="210124101200")
    assert village.parent.code == "210124101000" and village.valid_from == dt.date(2023, 6, 30)
    assert not Region.objects.exclude(level=Level.PROVINCE).filter(parent__isnull=True).exists()


def test_second_run_changes_nothing(capsys):
    call_command("load_regions")
    regions, history, audits, digest = db_state()
    capsys.readouterr()

    call_command("load_regions")

    assert db_state() == (regions, history, audits + 1, digest)
    out = capsys.readouterr().out
    assert "created=0 renamed=0 reparented=0 retired=0 restored=0 unchanged=3348 skipped=3" in out
    assert "created=0 renamed=0 reparented=0 retired=0 restored=0 unchanged=264 skipped=0" in out


def test_one_audit_entry_per_load():
    call_command("load_regions")

    entry = AuditEntry.objects.get(action=Action.LOAD)
    assert entry.detail["files"] == ["china_counties.csv", "liaoning_townships_villages.csv[210124]"]
    assert entry.detail["counts"]["china_counties.csv"]["created"] == 3348
    assert entry.detail["counts"]["liaoning_townships_villages.csv[210124]"]["created"] == 264


def test_other_county_village_file_leaves_faku_alone(tmp_path):
    call_command("load_regions")
    faku_before = list(Region.objects.filter(code__startswith="210124").values_list("code", "name", "valid_to"))
    kangping = write_csv(
        tmp_path,
        "kangping_villages.csv",
        [
            "210123100,康平镇,township,210123",
            "210123100201,甲村委会,village,210123100",
            "210123100202,乙村委会,village,210123100",
            "210123101,海洲窝堡乡,township,210123",
            "210123101201,丙村委会,village,210123101",
        ],
    )

    call_command("load_regions", str(kangping), effective="2024-01-01")
    assert Region.objects.filter(code__startswith="210123", level__in=[Level.TOWNSHIP, Level.VILLAGE]).count() == 5
    assert Region.objects.get(code="210123100201").valid_from == dt.date(2024, 1, 1)

    # Dropping one Kangping village retires it and nothing in Faku.
    smaller = write_csv(tmp_path, "kangping_v2.csv", kangping.read_text().splitlines()[1:-1])
    call_command("load_regions", str(smaller), effective="2024-06-30")
    assert list(Region.objects.filter(valid_to__isnull=False).values_list("code", "valid_to")) == [
        ("210123101201", dt.date(2024, 6, 30))
    ]
    assert list(Region.objects.filter(code__startswith="210124").values_list("code", "name", "valid_to")) == faku_before


def _file_rows(county: str) -> dict[str, int]:
    from pims.regions.loader import VILLAGES_FILE

    counts: dict[str, int] = {Level.TOWNSHIP: 0, Level.VILLAGE: 0}
    for line in VILLAGES_FILE.read_text(encoding="utf-8-sig").splitlines()[1:]:
        code, _name, level, _parent = line.split(",")
        if code.startswith(county):
            counts[level] += 1
    return counts


def test_another_county_sets_itself_up_from_the_shipped_file(capsys):
    call_command("load_regions", "--county", "210123")

    expected = _file_rows("210123")
    assert expected[Level.TOWNSHIP] > 10 and expected[Level.VILLAGE] > 100
    for level, n in expected.items():
        assert Region.objects.filter(code__startswith="210123", level=level).count() == n
    assert not Region.objects.filter(code__startswith="210124", level=Level.VILLAGE).exists()
    village = Region.objects.filter(code__startswith="210123", level=Level.VILLAGE).first()
    assert village.parent.parent.code == "210123000000"
    assert "liaoning_townships_villages.csv[210123]" in capsys.readouterr().out


def test_loading_a_second_county_keeps_the_first():
    call_command("load_regions")
    call_command("load_regions", "--county", "210124", "--county", "211421")

    assert Region.objects.filter(code__startswith="210124", level=Level.VILLAGE, valid_to__isnull=True).count() == 245
    assert (
        Region.objects.filter(code__startswith="211421", level=Level.VILLAGE).count()
        == _file_rows("211421")[Level.VILLAGE]
    )


@pytest.mark.parametrize(
    ("county", "message"),
    [("210199", "没有县级区划 210199 的乡镇和村"), ("2101", "须为 6 位数字"), ("130102", "--villages-file")],
)
def test_unknown_county_is_refused_with_a_clear_message(county, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("load_regions", "--county", county)
    assert not Region.objects.exists()


def test_another_province_file_of_the_same_layout(tmp_path):
    hebei = write_csv(
        tmp_path,
        "hebei_townships_villages.csv",
        ["130102001,建北街道,township,130102", "130102001001,甲社区,village,130102001"],
    )
    call_command("load_regions", "--county", "130102", "--villages-file", str(hebei))

    assert Region.objects.get(code="130102001001").parent.parent.name == "长安区"
