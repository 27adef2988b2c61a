"""What one rejected member does to the rest of the household (issue 15.8):
the operator's choice per import — load the valid members and flag the
household incomplete on the work queue, or hold the whole household back —
and the code manual's names and aliases ("汉" for 民族) in the extract."""

import csv

import pytest

from pims.integration.models import ImportJob
from pims.integration.pipeline.rejected_file import FAMILY_COLUMN
from pims.integration.services import police_import
from pims.registry.models import Household, Person
from pims.synth.police_file import write_police_file
from pims.web.queues import work_queue

NUMBER, VILLAGE, SEX, ETHNICITY = "户号", "村(居)委会代码", "性别", "民族"


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def extract_with_a_bad_member(population, tmp_path):
    """A generated extract whose first household of three or more has one
    member's 性别 broken; returns the file, that household's (village code,
    户号) and its rows' count."""
    _g, pop = population(per_village=30)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    rows = read(path)
    header = rows[0]
    n, v, s = header.index(NUMBER), header.index(VILLAGE), header.index(SEX)
    sizes: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows[1:], start=1):
        sizes.setdefault((row[v], row[n]), []).append(i)
    key, lines = next((k, v) for k, v in sizes.items() if len(v) >= 3)
    rows[lines[-1]][s] = "X"
    write(path, rows)
    return path, key, len(lines), pop


def rejected_rows(job):
    from pims.integration.rejected import rejected_path

    return read(rejected_path(job))


def corrected(job, tmp_path):
    """The rejected-rows file with its 性别 fixed from the ID number, as a clerk would."""
    rows = rejected_rows(job)
    header = rows[0]
    s, i = header.index(SEX), header.index("公民身份号码")
    for row in rows[1:]:
        if row[s] == "X":
            row[s] = "男" if int(row[i][16]) % 2 else "女"
    path = tmp_path / "corrected.csv"
    write(path, rows)
    return path


def queue_items(user):
    return [e.item for e in work_queue(user=user).entries if e.source.key == "integration.incomplete"]


@pytest.fixture
def operator(personas):
    """The importer: the county administrator, whose region holds every generated village."""
    return personas["county"]


def household_of(key):
    return Household.objects.filter(region_code=key[0], number=key[1])


def test_members_mode_loads_the_valid_members_and_flags_the_household(
    regions, codes, population, tmp_path, operator, personas
):
    path, key, size, _pop = extract_with_a_bad_member(population, tmp_path)
    job = police_import(actor=operator, path=path, family_mode=ImportJob.FamilyMode.MEMBERS)
    household = household_of(key).get()
    assert Person.objects.filter(household=household).count() == size - 1
    assert job.incomplete_households == [household.pk]
    rows = rejected_rows(job)
    assert FAMILY_COLUMN in rows[0] and len(rows) == 2
    assert rows[1][rows[0].index(FAMILY_COLUMN)].startswith("载入有效成员")
    (item,) = queue_items(operator)
    assert "1 户成员不全" in item.title and item.urgent
    assert queue_items(personas["outsider"]) == [] and queue_items(personas["operator"]) == []

    # The corrected rejected-rows file completes the household and clears the flag.
    again = police_import(actor=operator, path=corrected(job, tmp_path))
    assert again.rows_loaded == 1 and again.rows_rejected == 0
    assert Person.objects.filter(household=household).count() == size
    job.refresh_from_db()
    assert job.incomplete_households == []
    assert queue_items(operator) == []


def test_household_mode_holds_back_the_whole_household_until_it_is_fixed(
    regions, codes, population, tmp_path, operator
):
    path, key, size, pop = extract_with_a_bad_member(population, tmp_path)
    job = police_import(actor=operator, path=path, family_mode=ImportJob.FamilyMode.HOUSEHOLD)
    assert not household_of(key).exists()
    assert Person.objects.count() == len(pop.persons) - size
    assert job.rows_rejected == size and job.incomplete_households == []
    rows = rejected_rows(job)
    header = rows[0]
    rules = sorted(r[header.index("错误规则")] for r in rows[1:])
    assert rules.count("P14") == size - 1  # the others name the rejected line
    held = next(r for r in rows[1:] if r[header.index("错误规则")] == "P14")
    assert "整户暂缓" in held[header.index("错误说明")]
    assert all(r[header.index(FAMILY_COLUMN)].startswith("整户暂缓") for r in rows[1:])
    assert queue_items(operator) == []

    # The whole household comes in at once from the corrected file.
    again = police_import(actor=operator, path=corrected(job, tmp_path), family_mode=ImportJob.FamilyMode.HOUSEHOLD)
    assert again.rows_rejected == 0 and again.rows_loaded == size
    assert Person.objects.filter(household__in=household_of(key)).count() == size


def test_ethnic_names_short_names_and_codes_are_all_accepted(regions, codes, population, tmp_path):
    """The docs promise 民族 as 汉族, 汉 or 01 (the code manual's aliases); 性别 男性 as 男."""
    _g, pop = population(per_village=10)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    rows = read(path)
    e, s = rows[0].index(ETHNICITY), rows[0].index(SEX)
    for i, row in enumerate(rows[1:]):
        if row[e] == "汉族":
            row[e] = ("汉", "01", "汉族", "1")[i % 4]
        row[s] = {"男": "男性", "女": "女性"}[row[s]] if i % 2 else row[s]
    write(path, rows)
    job = police_import(actor=None, path=path)
    assert job.rows_rejected == 0
    assert Person.objects.count() == len(pop.persons)


def test_an_unknown_family_mode_is_refused(regions, codes, tmp_path):
    from pims.integration.services import ImportRefused

    path = tmp_path / "x.csv"
    path.write_text("公民身份号码,姓名\n", encoding="utf-8")
    with pytest.raises(ImportRefused):
        police_import(actor=None, path=path, family_mode="some")
