"""A generated population as a police extract file (CSV or XLSX) in the
canonical format of `pims.integration.format`, for demos, tests and the
import benchmark. Coded items are written by name (男, 汉族, 户主 …) as an
extract has them, dates as YYYYMMDD; the importer turns them back."""

from pathlib import Path

from pims.codes.selectors import code_map
from pims.integration.format import COLUMNS, HEADERS
from pims.lib import spreadsheet

from .generator import Population

NAMED = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "relationship": "family_relationship",
    "marital_status": "marital_status",
    "education": "education",
    "hukou_type": "household_registration_type",
    "hh_type": "household_type",
}


def police_rows(pop: Population, *, names: bool = True):
    """Rows (lists of text, in HEADERS order) of the population."""
    labels = {key: code_map(table) for key, table in NAMED.items()} if names else {}
    spouse: dict[int, int] = {}
    for husband, wife, _d, _k in pop.marriages:
        spouse[husband], spouse[wife] = wife, husband
    parents = {c: (m, f) for c, m, f, _o in pop.births}
    persons = pop.persons

    def ref(k):
        return persons[k].citizen_id if k is not None else ""

    def label(key, code):
        return labels[key].get(code, code) if key in labels else code

    keys = [c.key for c in COLUMNS]
    for h in pop.households:
        for k in h.members:
            p = persons[k]
            mother, father = parents.get(k, (None, None))
            values = {
                "citizen_id": p.citizen_id,
                "name": p.name,
                "sex": label("sex", p.sex),
                "ethnicity": label("ethnicity", p.ethnicity),
                "birth_date": p.birth_date.strftime("%Y%m%d"),
                "number": h.number,
                "relationship": label("relationship", p.relationship),
                "address": h.address,
                "hukou_type": label("hukou_type", p.hukou_type),
                "marital_status": label("marital_status", p.marital_status),
                "education": label("education", p.education),
                "occupation": p.occupation,
                "village_code": h.village_code,
                "hh_type": label("hh_type", h.hh_type),
                "no_id_reason": p.no_id_reason,
                "registered_code": p.registered_code if p.registered_code != h.village_code else "",
                "residence_code": p.residence_code if p.residence_code != h.village_code else "",
                "residence_status": p.residence_status,
                "phone": p.phone,
                "spouse_id": ref(spouse.get(k)),
                "mother_id": ref(mother),
                "father_id": ref(father),
            }
            yield [values[key] for key in keys]


def write_police_file(pop: Population, path: Path | str, *, encoding: str = "utf-8-sig", names: bool = True) -> int:
    """Write the extract; the format follows the suffix (.csv or .xlsx)."""
    path = Path(path)
    n = 0
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("户籍信息")
        ws.append(HEADERS)
        for row in police_rows(pop, names=names):
            ws.append(spreadsheet.xlsx_row(ws, row))
            n += 1
        wb.save(path)
        return n
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = spreadsheet.csv_writer(fh)
        writer.writerow(HEADERS)
        for row in police_rows(pop, names=names):
            writer.writerow(row)
            n += 1
    return n
