"""2,000+ malformed rows of 30 kinds mixed into a good extract: every one
is rejected with its rule, every good row is loaded — judged in one process
and by forked workers alike."""

import csv
import datetime as dt
import io
import random

import pytest

from pims.integration import parallel
from pims.integration.format import HEADERS
from pims.integration.rejected import rejected_path
from pims.integration.services import police_import
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id
from pims.registry.models import FormState, Household, Person
from pims.registry.personal import citizen_id_index
from pims.registry.tests.factories import make_household, make_person
from pims.synth.police_file import police_rows

COL = {h: i for i, h in enumerate(HEADERS)}
MALFORMED_ROWS = 2000


class PairedLine(bytes):
    pass


class Rows:
    """Valid single-person households (新民市 IDs, so they never meet the
    generator's 法库县 ones), each then broken in one way."""

    def __init__(self, village_code):
        self.village = village_code
        self.n = 0

    def valid(self, **over) -> list[str]:
        self.n += 1
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=self.n * 3)
        row = [""] * len(HEADERS)
        values = {
            "公民身份号码": make_citizen_id("210181", birth, 2 * (self.n % 400) + 1, "1"),
            "姓名": "赵" + "明亮强军"[self.n % 4] + "伟文"[self.n % 2],
            "性别": "男",
            "民族": "汉族",
            "出生日期": birth.strftime("%Y%m%d"),
            "户号": f"M{self.n:05d}",
            "与户主关系": "户主",
            "户籍地址": "测试村 9 组",
            "户口类别": "农业家庭户口",
            "婚姻状况": "未婚",
            "村(居)委会代码": self.village,
            "户别": "家庭户",
        }
        values.update(over)
        for header, value in values.items():
            row[COL[header]] = value
        return row


def next_day(yyyymmdd: str) -> str:
    return (dt.datetime.strptime(yyyymmdd, "%Y%m%d").date() + dt.timedelta(days=1)).strftime("%Y%m%d")


def kinds(rows: Rows, register_someone):
    """(expected rule, [raw lines]) per kind of damage."""

    def line(cells) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        return buf.getvalue().encode()

    def changed(**over) -> list[bytes]:
        return [line(rows.valid(**over))]

    def with_id(make):
        r = rows.valid()
        return [line(make(r))]

    def set_(r, header, value):
        r[COL[header]] = value
        return r

    def dup_across():
        a, b = rows.valid(), rows.valid()
        b[COL["公民身份号码"]] = a[COL["公民身份号码"]]
        b[COL["出生日期"]] = a[COL["出生日期"]]
        return [line(a), line(b)]

    def dup_within():
        """The same ID twice in one household: the later line is the
        duplicate (I08), the earlier one is kept — decided after shuffling."""
        a = rows.valid()
        return [PairedLine(line(a)), PairedLine(line(a))]

    future = (clock.today() + dt.timedelta(days=400)).isoformat()
    return [
        ("I03", lambda: with_id(lambda r: set_(r, "公民身份号码", r[0][:17] + ("0" if r[0][17] != "0" else "1")))),
        ("I03", lambda: with_id(lambda r: set_(r, "公民身份号码", r[0][:16]))),
        ("I04", lambda: changed(公民身份号码="")),
        ("I05", lambda: changed(公民身份号码="", 无身份号码原因="7")),
        ("I06", lambda: changed(性别="女")),
        ("I07", lambda: with_id(lambda r: set_(r, "出生日期", next_day(r[COL["出生日期"]])))),
        ("I01", lambda: changed(姓名="")),
        ("I02", lambda: changed(姓名="赵3")),
        ("I10", lambda: changed(性别="X")),
        ("I11", lambda: changed(公民身份号码="", 无身份号码原因="9", 出生日期="2001-13-45")),
        ("I12", lambda: changed(公民身份号码="", 无身份号码原因="1", 出生日期=future)),
        ("I13", lambda: changed(民族="火星族")),
        ("I14", lambda: changed(与户主关系="邻居")),
        ("I15", lambda: changed(婚姻状况="说不清")),
        ("I16", lambda: changed(文化程度="博士后")),
        ("I17", lambda: changed(职业="X9")),
        ("I18", lambda: changed(户口类别="外星户口")),
        ("I19", lambda: changed(人户状态="7")),
        ("I20", lambda: changed(**{"村(居)委会代码": "210124999999"})),
        ("H01", lambda: changed(户号="号-1")),
        ("H02", lambda: changed(户别="5")),
        ("H03", lambda: changed(户籍地址="")),
        ("I26", lambda: changed(民族="")),
        ("P02", lambda: [line(rows.valid())[:-1] + b",extra\n"]),
        ("P03", lambda: [line(rows.valid()).replace("赵".encode(), b'"\xe8\xb5\xb5', 1)]),
        ("P01", lambda: [line(rows.valid()).replace("赵".encode(), b"\xff\xfe", 1)]),
        ("P05", lambda: changed(配偶公民身份号码="123456")),
        ("P06", dup_across),
        ("I09", lambda: changed(**register_someone())),
        ("R01", lambda: changed(出生日期="20080101", 公民身份号码="", 无身份号码原因="9", 婚姻状况="已婚")),
        ("R31", lambda: changed(人户状态="3", 现居住地区划代码=rows.village)),
        ("I08", dup_within),
    ]


@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-process", "forked-judges"])
def test_every_malformed_row_is_rejected_with_its_reason_and_every_good_row_kept(
    regions, codes, population, tmp_path, monkeypatch, workers
):
    monkeypatch.setenv("PIMS_IMPORT_WORKERS", workers)
    monkeypatch.setenv("PIMS_IMPORT_PARALLEL_BYTES", "0")
    # A thread another test left behind must not quietly turn the pool off.
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)
    # People already registered elsewhere, one per I09 row.
    hh = make_household(regions["village_a2"], number="R0001")
    registered = []

    def register_someone():
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=len(registered))
        number = make_citizen_id("210181", birth, 901, "1")
        registered.append(
            make_person(
                hh,
                len(registered) + 1,
                "1",
                birth,
                "99" if registered else "02",
                "10",
                id_index=citizen_id_index(number),
            )
        )
        return {"公民身份号码": number, "出生日期": birth.strftime("%Y%m%d")}

    _g, pop = population(per_village=100)
    good = [io.StringIO() for _ in range(1)]
    writer = csv.writer(good[0], lineterminator="\n")
    for cells in police_rows(pop):
        writer.writerow(cells)
    good_lines = [(None, raw.encode()) for raw in good[0].getvalue().splitlines(keepends=True)]

    rows = Rows(regions["village_a1"].code)
    bad_lines, companions = [], []
    catalogue = kinds(rows, register_someone)
    i = 0
    while len(bad_lines) - len(companions) < MALFORMED_ROWS:
        rule, make = catalogue[i % len(catalogue)]
        i += 1
        made = make()
        bad_lines += [(rule, raw) for raw in made]
        if isinstance(made[0], PairedLine):
            companions.append(made[0])
    everything = good_lines + bad_lines
    random.Random(4).shuffle(everything)
    seen_pairs = set()
    for n, (_rule, raw) in enumerate(everything):
        if isinstance(raw, PairedLine) and bytes(raw) not in seen_pairs:  # the first of the pair is a good row
            seen_pairs.add(bytes(raw))
            everything[n] = (None, raw)
    path = tmp_path / "mixed.csv"
    path.write_bytes((",".join(HEADERS) + "\n").encode() + b"".join(raw for _r, raw in everything))
    expected = {n: rule for n, (rule, _raw) in enumerate(everything, start=2) if rule}
    assert len(expected) >= MALFORMED_ROWS and len(set(expected.values())) >= 20

    job = police_import(actor=None, path=path)

    assert job.rows_rejected == len(expected)
    with open(rejected_path(job), encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert header[-3:] == ["原行号", "错误规则", "错误说明"]
        rejected = list(reader)
    assert len(rejected) == len(expected)
    lines_by_reason = {}
    for cells in rejected:
        rules, message = cells[-2], cells[-1]
        lines_by_reason.setdefault(rules, 0)
        lines_by_reason[rules] += 1
        assert message and message.startswith("[")
    # Each rejected line names the rule it broke.
    found = sorted(rule for cells in rejected for rule in cells[-2].split(","))
    for rule in set(expected.values()):
        assert rule in found, rule
    by_line = {int(cells[-3]): cells for cells in rejected}
    assert set(by_line) == set(expected)
    for line_no, rule in expected.items():
        assert rule in by_line[line_no][-2].split(","), (line_no, rule, by_line[line_no][-2:])
        assert f"第 {line_no} 行" in by_line[line_no][-1]
    # Every good row is in the register: the generated population, the
    # companions of the in-household duplicates and the pre-registered person.
    assert Person.objects.count() == len(pop.persons) + len(companions) + len(registered)
    assert Household.objects.count() == len(pop.households) + len(companions) + 1


def test_a_rule_breaking_new_member_leaves_an_existing_household_as_it_was(regions, codes, tmp_path):
    village = regions["village_a1"]
    hh = make_household(village, number="E0001", form_state=FormState.APPROVED)
    head = make_person(hh, 1, "1", dt.date(1970, 1, 1), "02", "20")
    married_boy = Rows(village.code).valid(
        户号="E0001", 与户主关系="20", 出生日期="20080101", 公民身份号码="", 无身份号码原因="9", 婚姻状况="已婚"
    )
    path = tmp_path / "one.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADERS, married_boy])
    job = police_import(actor=None, path=path)
    assert (job.rows_loaded, job.rows_rejected, job.households_created) == (0, 1, 0)
    with open(rejected_path(job), encoding="utf-8-sig") as fh:
        assert "R01" in next(r for r in csv.DictReader(fh))["错误规则"]
    assert list(Person.objects.filter(household=hh)) == [head]
    assert Household.objects.filter(pk=hh.pk).exists()
