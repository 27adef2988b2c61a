"""Civil-affairs file, stage 'judge': one source row → one record (its
parties' IDs encrypted, blind-indexed and masked as the register stores
them) or the rules it breaks, each naming the line, the column and the rule."""

import datetime as dt

from pims.integration.format import normalise_date
from pims.integration.pipeline.match import FilePerson, parse_id
from pims.integration.pipeline.records import Judged, judged_start
from pims.integration.reader import SourceRow
from pims.lib import citizen_id as cid
from pims.lib.citizen_id import mask_citizen_id
from pims.registry.checks.base import violation
from pims.registry.personal import CITIZEN_ID, citizen_id_index

from .columns import BY_KEY, PARTIES

KINDS = {"结婚": "marriage", "离婚": "divorce", "补领": "reissue", "撤销": "revoke"}
KIND_LABELS = {v: k for k, v in KINDS.items()}
SEXES = {"男": "1", "女": "2", "1": "1", "2": "2", "男性": "1", "女性": "2"}
EXPECTED_SEX = {"husband": "1", "wife": "2"}


def judge_row(source: SourceRow, columns: dict[str, int]) -> Judged:
    line = source.line
    out, cell = judged_start(source, columns, KINDS, ("M01", "M02", "M03"))
    if cell is None:
        return out
    out.doc_number = cell("doc_number")
    if not out.doc_number:
        out.problems.append(violation("M04", row=line))
    out.authority = cell("authority")
    numbers = {}
    for role, label in PARTIES.items():
        numbers[role] = _party(out, role, label, cell)
    if numbers["husband"] and numbers["husband"] == numbers["wife"]:
        out.problems.append(violation("M10", row=line))
    if out.kind == "divorce":  # married to each other in the register: each one's spouse, for the matcher
        out.people["husband"].partner, out.people["wife"].partner = out.people["wife"].name, out.people["husband"].name
    return out


def _party(out: Judged, role: str, label: str, cell) -> str:
    line = out.line
    name = cell(f"{role}_name")
    if not name:
        out.problems.append(violation("M05", row=line, field=f"{role}_name", label=BY_KEY[f"{role}_name"].header))
    raw_id = cell(f"{role}_citizen_id")
    number, problem = parse_id(raw_id)
    id_label = BY_KEY[f"{role}_citizen_id"].header
    if not cid.normalise(raw_id):
        out.problems.append(
            violation("M06", row=line, field=f"{role}_citizen_id", label=id_label, value="", reason="未填写")
        )
    parsed = cid.parse(number) if number else None
    sex_text = cell(f"{role}_sex")
    sex = SEXES.get(sex_text, "") if sex_text else (parsed.sex if parsed else "")
    sex_label = BY_KEY[f"{role}_sex"].header
    if sex_text and (not sex or (parsed and parsed.sex != sex)):
        out.problems.append(violation("M07", row=line, field=f"{role}_sex", label=sex_label, value=sex_text))
    elif sex and sex != EXPECTED_SEX[role]:
        out.problems.append(
            violation(
                "M09", row=line, field=f"{role}_sex", label=sex_label, expected="男性" if role == "husband" else "女性"
            )
        )
    birth_text = normalise_date(cell(f"{role}_birth_date"))
    birth: dt.date | None = parsed.birth_date if parsed else None
    if birth_text:
        try:
            given = dt.date.fromisoformat(birth_text)
        except ValueError:
            given = None
        if given is None or (parsed and parsed.birth_date != given):
            out.problems.append(
                violation(
                    "M08",
                    row=line,
                    field=f"{role}_birth_date",
                    label=BY_KEY[f"{role}_birth_date"].header,
                    value=birth_text,
                )
            )
        birth = given or birth
    out.people[role] = FilePerson(name=name, sex=sex, birth_date=birth, raw_id=raw_id)
    out.parties[role] = {
        "name": name,
        "sex": sex,
        "birth_date": birth.isoformat() if birth else "",
        "ethnicity": cell(f"{role}_ethnicity"),
        "nationality": cell(f"{role}_nationality"),
        "address": cell(f"{role}_address"),
        "id_masked": mask_citizen_id(number) if number else mask_citizen_id(cid.normalise(raw_id)),
        "id_cipher": CITIZEN_ID.seal(number or cid.normalise(raw_id)) if raw_id else "",
        "id_index": citizen_id_index(number) if number else "",
        "id_problem": problem,
    }
    return number
