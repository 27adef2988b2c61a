"""Health file, stage 'judge': one 出生医学证明 row → one record (the
parents' IDs encrypted, blind-indexed and masked as the register stores
them, the newborn's particulars in `details`) or the rules it breaks."""

import datetime as dt
import re

from pims.integration.format import normalise_date
from pims.integration.pipeline.columns import cell_reader
from pims.integration.pipeline.match import FilePerson, parse_id
from pims.integration.pipeline.records import Judged
from pims.integration.reader import SourceRow
from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.lib.citizen_id import mask_citizen_id
from pims.registry.checks.base import violation
from pims.registry.personal import CITIZEN_ID, citizen_id_index

from .columns import BY_KEY, PARENTS

SEXES = {"男": "1", "女": "2", "1": "1", "2": "2"}
EXPECTED_SEX = {"mother": ("2", "N07"), "father": ("1", "N08")}
TIME_RE = re.compile(r"^(.*?)[ T]+\d{1,2}[:：时]\d{1,2}.*$")


def _date(text: str) -> dt.date | None:
    m = TIME_RE.match(text)
    iso = normalise_date((m[1] if m else text).strip())
    try:
        return dt.date.fromisoformat(iso)
    except ValueError:
        return None


def _number(text: str, low: float, high: float) -> bool:
    try:
        return low <= float(text) <= high
    except ValueError:
        return False


def judge_row(source: SourceRow, columns: dict[str, int]) -> Judged:
    line = source.line
    out = Judged(line, kind="birth")
    if source.problem is not None:
        out.problems.append(source.problem)
        return out
    cell = cell_reader(source.cells, columns)

    out.doc_number = cell("doc_number")
    if not out.doc_number:
        out.problems.append(violation("N01", row=line))
    born = cell("born_at")
    out.date = _date(born)
    if out.date is None:
        out.problems.append(violation("N02", row=line, value=born))
    elif out.date > clock.today():
        out.problems.append(violation("N03", row=line, value=born))
    sex_text = cell("child_sex")
    sex = SEXES.get(sex_text, "")
    if not sex:
        out.problems.append(violation("N04", row=line, value=sex_text))
    weight, weeks = cell("weight"), cell("weeks")
    if weight and not _number(weight, 200, 8000):
        out.problems.append(violation("N09", row=line, value=weight))
    if weeks and not _number(weeks, 20, 45):
        out.problems.append(violation("N10", row=line, value=weeks))
    issued = cell("issued_on")
    issued_on = _date(issued) if issued else None
    if issued and (issued_on is None or (out.date and issued_on < out.date)):
        out.problems.append(violation("N13", row=line, value=issued))
    out.authority = cell("authority")
    out.details = {
        "name": cell("child_name"),
        "sex": sex,
        "born_at": born,
        "place": cell("place"),
        "weight": weight,
        "weeks": weeks,
        "issued_on": issued_on.isoformat() if issued_on else "",
    }
    if not cell("mother_name"):
        out.problems.append(violation("N05", row=line))
    for role, label in PARENTS.items():
        _parent(out, role, label, cell)
    if "father" in out.people:  # each parent's spouse, for the probabilistic matcher
        out.people["mother"].partner, out.people["father"].partner = out.people["father"].name, cell("mother_name")
    return out


def _parent(out: Judged, role: str, label: str, cell) -> None:
    name, raw_id = cell(f"{role}_name"), cell(f"{role}_citizen_id")
    if role == "father" and not name and not cid.normalise(raw_id):
        return  # no father named: the mother's husband, if any, is taken (the birth handler's default)
    number, problem = parse_id(raw_id)
    parsed = cid.parse(number) if number else None
    want, rule = EXPECTED_SEX[role]
    if parsed is not None and parsed.sex != want:
        out.problems.append(violation(rule, row=out.line))
    stored = number or cid.normalise(raw_id)
    out.people[role] = FilePerson(name=name, sex=want, birth_date=parsed.birth_date if parsed else None, raw_id=raw_id)
    out.parties[role] = {
        "name": name,
        "sex": want,
        "birth_date": parsed.birth_date.isoformat() if parsed else "",
        "id_masked": mask_citizen_id(stored),
        "id_cipher": CITIZEN_ID.seal(stored) if stored else "",
        "id_index": citizen_id_index(number) if number else "",
        "id_problem": problem,
        "label": BY_KEY[f"{role}_citizen_id"].header,
    }
