"""Police change file, stage 'judge': one row → one record (the ID
encrypted, blind-indexed and masked as the register stores it) or the rules
it breaks. A change is known by its kind, person and day (the file has no
document number): that is the record's document key."""

from pims.integration.format import normalise_date
from pims.integration.pipeline.match import FilePerson, parse_id
from pims.integration.pipeline.records import Judged, judged_start
from pims.integration.reader import SourceRow
from pims.lib import citizen_id as cid
from pims.lib.citizen_id import mask_citizen_id
from pims.registry.checks.base import violation
from pims.registry.personal import CITIZEN_ID, citizen_id_index

KINDS = {
    "出生登记": "birth",
    "迁入": "move_in",
    "迁出": "move_out",
    "死亡注销": "death",
    "其他注销": "cancel",
    "信息变更": "change",
}
KIND_LABELS = {v: k for k, v in KINDS.items()}
SEXES = {"男": "1", "女": "2", "1": "1", "2": "2"}


def judge_row(source: SourceRow, columns: dict[str, int]) -> Judged:
    line = source.line
    out, cell = judged_start(source, columns, KINDS, ("G01", "G02", "G03"))
    if cell is None:
        return out
    name = cell("name")
    if not name:
        out.problems.append(violation("G04", row=line))
    raw_id = cell("citizen_id")
    number, problem = parse_id(raw_id)
    if not number:
        out.problems.append(violation("G05", row=line, value=raw_id, reason=problem or "未填写"))
    parsed = cid.parse(number) if number else None
    sex_text = cell("sex")
    sex = SEXES.get(sex_text, "")
    if sex_text and (not sex or (parsed and parsed.sex != sex)):
        out.problems.append(violation("G06", row=line, value=sex_text))
    birth_text = normalise_date(cell("birth_date"))
    birth = parsed.birth_date if parsed else None
    if birth_text and (not parsed or birth_text != parsed.birth_date.isoformat()):
        out.problems.append(violation("G07", row=line, value=birth_text))
    reason = cell("reason")
    if out.kind == "cancel" and not reason:
        out.problems.append(violation("G09", row=line))
    index = citizen_id_index(number) if number else ""
    out.doc_number = f"{out.date.isoformat() if out.date else cell('date')}:{index[:40]}"
    out.authority = "公安"
    out.people["person"] = FilePerson(
        name=name, sex=sex or (parsed.sex if parsed else ""), birth_date=birth, raw_id=raw_id
    )
    out.parties["person"] = {
        "name": name,
        "sex": sex or (parsed.sex if parsed else ""),
        "birth_date": birth.isoformat() if birth else "",
        "id_masked": mask_citizen_id(number),
        "id_cipher": CITIZEN_ID.seal(number) if number else "",
        "id_index": index,
        "id_problem": problem,
    }
    out.details = {"number": cell("number"), "place": cell("place"), "place_code": cell("place_code"), "reason": reason}
    return out
