"""Police extract, stage 'judge': one source row → one staged row (rules I01–I26, H01–H03, P04/P05/P09)."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Field

from pims.integration.fastpath import quick_member
from pims.integration.format import BY_KEY, Normaliser, normalise_date
from pims.integration.models import ImportJob, StagedRow
from pims.integration.pipeline.job import (
    OK,
    REJECTED,
)
from pims.integration.pipeline.sql import LINE_RE
from pims.integration.reader import SourceRow
from pims.lib import citizen_id as cid
from pims.lib.names import name_pinyin
from pims.regions.scope import code_in_scope, user_prefix
from pims.registry.checks.base import Severity, violation
from pims.registry.checks.input_rules import FIELD_LABELS, CodeBook, validate_household_input
from pims.registry.personal import citizen_id_index, citizen_id_stored, phone_stored

LINK_KEYS = ("spouse_id", "mother_id", "father_id")

STAGE_COLUMNS = [
    "job_id",
    "line",
    "state",
    "reasons",
    "rule_ids",
    "village_id",
    "village_code",
    "number",
    "hh_type",
    "address",
    "name",
    "name_pinyin",
    "name_initials",
    "id_cipher",
    "id_index",
    "id_masked",
    "id_sex",
    "id_birth_date",
    "no_id_reason",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "occupation",
    "marital_status",
    "relationship",
    "hukou_type",
    "registered_code",
    "residence_code",
    "residence_status",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "spouse_index",
    "mother_index",
    "father_index",
    "hh_key",
]


# A rejected row keeps its line, its reasons and — where the row could be
# read — its household (village code, 户号, so that the family mode can hold
# back the rest of the household); every other column is empty.
def _empty(column: str) -> str | None:
    field = StagedRow._meta.get_field(column)
    return None if isinstance(field, Field) and field.null else ""


REJECTED_TAIL = tuple(_empty(c) for c in STAGE_COLUMNS[5:])
_VILLAGE_CODE, _NUMBER = STAGE_COLUMNS.index("village_code") - 5, STAGE_COLUMNS.index("number") - 5


@dataclass
class Village:
    pk: int
    code: str
    name: str


def duplicate_verdicts(rows) -> list[tuple[int, str, str]]:
    """(staged id, rule ids, reasons) for the occurrences of one ID: within
    one household the repeats are I08; across households all are P06."""
    households = {(r[2], r[3]) for r in rows}
    if len(households) == 1:
        first = rows[0][1]
        return [(r[0], "I08", violation("I08", row=r[1], other=first).message) for r in rows[1:]]
    lines = "、".join(str(r[1]) for r in rows)
    return [(r[0], "P06", violation("P06", row=r[1], lines=lines).message) for r in rows]


class RowJudge:
    # Parsed IDs kept for the spouse/parent columns of nearby rows (a
    # household's members are usually next to each other); bounded.
    ID_CACHE = 20_000

    def __init__(self, job: ImportJob, columns: dict[str, int], villages: dict[str, Village], actor):
        self.job, self.columns, self.villages, self.actor = job, columns, villages, actor
        # Everything judging reads is loaded here, before stage 1 may fork
        # its workers (pims.integration.parallel): the user's region too.
        user_prefix(actor)
        self.codes = CodeBook()
        self.normaliser = Normaliser()
        self.warnings: Counter = Counter()
        self.ids: dict[str, cid.CitizenId | cid.CitizenIdError] = {}
        self.indexes: dict[str, str] = {}
        tables = Normaliser.TABLES
        self.coded = [(key, i, key in tables) for key, i in columns.items()]

    def take_warnings(self) -> Counter:
        w, self.warnings = self.warnings, Counter()
        return w

    def _rejected(self, line: int, found: list, household: tuple[str, str] = ("", "")) -> tuple:
        rules = ",".join(dict.fromkeys(v.rule_id for v in found))
        reasons = "；".join(with_line(v.message, line) for v in found)
        tail = list(REJECTED_TAIL)
        tail[_VILLAGE_CODE], tail[_NUMBER] = household[0][:12], household[1][:40]
        return (self.job.pk, line, REJECTED, reasons[:4000], rules[:200], *tail)

    def parse_id(self, raw: str) -> cid.CitizenId:
        """`citizen_id.parse`, remembered for the link columns."""
        hit = self.ids.get(raw)
        if hit is None:
            try:
                hit = cid.parse(raw)
            except cid.CitizenIdError as exc:
                hit = exc
            if len(self.ids) >= self.ID_CACHE:
                self.ids.clear()
            self.ids[raw] = hit
        if isinstance(hit, cid.CitizenIdError):
            raise hit
        return hit

    def index(self, number: str) -> str:
        hit = self.indexes.get(number)
        if hit is None:
            if len(self.indexes) >= self.ID_CACHE:
                self.indexes.clear()
            hit = self.indexes[number] = citizen_id_index(number)
        return hit

    def stage_row(self, source: SourceRow) -> tuple:
        """The row as staged; an accepted row ends with its household's
        identity (village code, 户号), which `numbered` turns into the
        household's key — numbering needs every earlier row, judging does not."""
        line = source.line
        if source.problem is not None:
            return self._rejected(line, [source.problem])
        cells, width, norm = source.cells, len(source.cells), self.normaliser.code
        raw = {}
        for key, i, coded in self.coded:
            value = cells[i] if i < width else ""
            value = value.strip()
            raw[key] = norm(key, value) if coded else value
        raw["birth_date"] = normalise_date(raw.get("birth_date", ""))
        found = []
        village_code = raw.get("village_code") or self.job.village_default
        village = self.villages.get(village_code)
        if not village_code:
            found.append(violation("P04", row=line))
        elif village is None:
            found.append(violation("I20", row=line, field="village_code", label="村(居)委会代码", value=village_code))
        elif self.actor is not None and not code_in_scope(self.actor, village_code):
            found.append(violation("P09", row=line, value=village_code))
        hukou = raw.get("hukou_type", "")
        hh_type = raw.get("hh_type") or ("2" if hukou in ("3", "4") else "1")
        data = {
            "number": raw.get("number", ""),
            "hh_type": hh_type,
            "address": raw.get("address", ""),
            "collected_on": "",
        }
        member: dict[str, object] = {
            k: raw.get(k, "")
            for k in (
                "name",
                "sex",
                "birth_date",
                "citizen_id",
                "no_id_reason",
                "ethnicity",
                "education",
                "occupation",
                "marital_status",
                "relationship",
                "hukou_type",
                "residence_status",
                "phone",
            )
        }
        member["row"] = line
        # The fast path waves through a row no input rule speaks about; any
        # other row gets the full rules, with their messages.
        c = quick_member(data, member, self.codes, self.parse_id) if village is not None else None
        if c is None:
            violations, cleaned = validate_household_input(data, [member], codes=self.codes)
            found += violations
            c = cleaned[0]
        codes = {}
        for f in ("registered_code", "residence_code"):
            value = raw.get(f, "")
            if value and value not in self.villages:
                found.append(violation("I20", row=line, field=f, label=FIELD_LABELS[f], value=value))
            codes[f] = value
        links = {}
        for key in LINK_KEYS:
            value = raw.get(key, "")
            links[key] = ""
            if not value:
                continue
            try:
                links[key] = self.index(self.parse_id(value).number)
            except cid.CitizenIdError as exc:
                found.append(
                    violation("P05", row=line, field=key, label=BY_KEY[key].header, value=value, reason=str(exc))
                )
        if found:
            errors = [v for v in found if v.severity == Severity.ERROR]
            if errors:
                return self._rejected(line, errors, (village_code or "", data["number"].strip()))
            for v in found:
                self.warnings[v.rule_id] += 1
        assert village is not None  # without one the row was refused above (P04, I20)
        registered = codes["registered_code"] or village.code
        residence = codes["residence_code"] or village.code
        number = c["citizen_id"]
        id_cipher, id_index, id_masked = citizen_id_stored(number, index=self.index(number) if number else None)
        phone_cipher, phone_idx, phone_masked = phone_stored(c["phone"])
        pinyin, initials = name_pinyin(c["name"])
        hh_number = data["number"].strip()
        return (
            self.job.pk,
            line,
            OK,
            "",
            "",
            village.pk,
            village.code,
            hh_number,
            hh_type,
            data["address"].strip(),
            c["name"],
            pinyin,
            initials,
            id_cipher,
            id_index,
            id_masked,
            c.get("id_sex", "") if number else "",
            c.get("id_birth_date") if number else None,
            c["no_id_reason"],
            c["sex"],
            c["birth_date"],
            c["ethnicity"],
            c["education"],
            c["occupation"],
            c["marital_status"],
            c["relationship"],
            c["hukou_type"],
            registered,
            residence,
            c["residence_status"],
            phone_cipher,
            phone_idx,
            phone_masked,
            links["spouse_id"],
            links["mother_id"],
            links["father_id"],
            (village.code, hh_number),
        )


def numbered(staged: list[tuple], households: dict[tuple[str, str], int]) -> list[tuple]:
    """Accepted rows get their household's key 1..N, in the order the
    households first appear in the file (`households` carries on across
    chunks and, on resumption, from the rows staged before)."""
    out = []
    for row in staged:
        if row[2] == OK:
            row = row[:-1] + (households.setdefault(row[-1], len(households) + 1),)
        out.append(row)
    return out


def with_line(message: str, line: int) -> str:
    """Household-level messages (H01–H03) name no line: add the file's."""
    if LINE_RE.search(message):
        return message
    tag, _, rest = message.partition("] ")
    return f"{tag}] 第 {line} 行：{rest}" if rest else f"第 {line} 行：{message}"
