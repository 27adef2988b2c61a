"""Import of historic documents (DOMAIN.md §3) from a CSV or XLSX file with
Chinese headers: each row is judged on its own; a good row becomes a
`HistoricDocument` of a person in the user's jurisdiction, a bad one is
rejected with every reason (the file is read through pims.lib.spreadsheet,
so numeric ID cells and Excel's scientific notation are refused, and cells
that a spreadsheet would run as formulas are refused too)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import citizen_id, clock, spreadsheet
from pims.params.selectors import param_value
from pims.registry.personal import citizen_id_index
from pims.registry.selectors import person_list_visible_to

from .models import HistoricDocument, HistoricKind

HEADERS = {
    "证件类型": "kind",
    "证号": "number",
    "持证人公民身份号码": "citizen_id",
    "发证单位": "issuer",
    "发证日期": "issue_date",
    "有效期至": "valid_to",
    "状态": "status",
    "孩次": "birth_order",
    "政策属性": "policy",
    "亲生关系": "parentage",
    "备注": "note",
}
REQUIRED = ("证件类型", "证号", "持证人公民身份号码", "发证单位", "发证日期")
TEXT_ONLY = ("证号", "持证人公民身份号码")
KINDS = {str(k.label): k.value for k in HistoricKind}
POLICIES = ("政策内", "政策外")
PARENTAGES = ("父母亲生", "父亲亲生", "母亲亲生", "非父母亲生")


@dataclass
class Rejected:
    line: int
    cells: list[str]
    reasons: list[str]


@dataclass
class ImportResult:
    accepted: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def read_rows(path: Path, name: str) -> tuple[list[str], list[spreadsheet.SheetRow]]:
    """The header and rows of an uploaded CSV (UTF-8, with or without BOM) or XLSX."""
    if name.lower().endswith(".xlsx"):
        rows = list(
            spreadsheet.read_xlsx(path, text_only=lambda header: [i for i, h in enumerate(header) if h in TEXT_ONLY])
        )
        return (rows[0].cells, rows[1:]) if rows else ([], [])
    text = Path(path).read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return [], []
    header = [h.strip() for h in lines[0]]
    out = []
    for i, cells in enumerate(lines[1:], start=2):
        if any(c.strip() for c in cells):
            out.append(spreadsheet.SheetRow(i, [c.strip() for c in cells]))
    return header, out


def _date(text: str, label: str, reasons: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError:
        reasons.append(f"{label}“{text}”不是有效日期（格式 YYYY-MM-DD）")
        return None


def _holders(visible, rows: list[spreadsheet.SheetRow], column: int | None) -> dict:
    """The visible persons of the rows' ID numbers, by number (one query)."""
    numbers: dict[str, str] = {}
    for row in rows:
        if column is None or column >= len(row.cells) or row.refused:
            continue
        try:
            number = citizen_id.parse(row.cells[column]).number
        except citizen_id.CitizenIdError:
            continue
        numbers[citizen_id_index(number)] = number
    found = visible.filter(id_index__in=list(numbers))
    return {numbers[p.id_index]: p for p in found if p.id_index}


def historic_import(*, actor, header: list[str], rows: list[spreadsheet.SheetRow], source: str) -> ImportResult:
    """Judge and load the rows; the accepted ones in one transaction, audited."""
    result = ImportResult()
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise spreadsheet.SheetError(f"表头缺少：{'、'.join(missing)}")
    index = {HEADERS[h]: i for i, h in enumerate(header) if h in HEADERS}
    visible = person_list_visible_to(user=actor)
    today = clock.today()
    seen: set[tuple[str, str]] = set()
    existing = set(HistoricDocument.objects.values_list("kind", "number"))
    good: list[HistoricDocument] = []
    now = clock.now()
    holders = _holders(visible, rows, index.get("citizen_id"))
    for row in rows:
        reasons: list[str] = []
        cell = {key: (row.cells[i] if i < len(row.cells) else "") for key, i in index.items()}
        if row.refused:
            reasons.append(
                f"以下单元格是数字，号码可能已被 Excel 改变，请把该列设为文本后重新填写：{spreadsheet.cells_named(row.refused)}"
            )
        formulas = [h for h, v in zip(header, row.cells, strict=False) if spreadsheet.formula_like(v)]
        if formulas:
            reasons.append(f"单元格内容像公式，不予导入：{'、'.join(formulas)}")
        for key in ("citizen_id", "number"):
            if spreadsheet.looks_converted(cell.get(key, "")):
                reasons.append(
                    f"{key == 'number' and '证号' or '持证人公民身份号码'}“{cell[key]}”已被 Excel 转成科学计数法，请把该列设为文本"
                )
        kind = KINDS.get(cell.get("kind", ""))
        if kind is None:
            reasons.append(f"证件类型“{cell.get('kind', '')}”不是：{'、'.join(KINDS)}")
        number = cell.get("number", "")
        if not number:
            reasons.append("证号为空")
        elif kind is not None and ((kind, number) in existing or (kind, number) in seen):
            reasons.append(f"证号“{number}”重复（{'库中已有' if (kind, number) in existing else '文件中已出现'}）")
        holder = None
        if not row.refused:
            try:
                parsed = citizen_id.parse(cell.get("citizen_id", ""))
            except citizen_id.CitizenIdError as exc:
                reasons.append(f"持证人公民身份号码：{exc}")
            else:
                holder = holders.get(parsed.number)
                if holder is None:
                    reasons.append("库中没有该持证人或其不在您的辖区内（先建立再办理）")
        if not cell.get("issuer"):
            reasons.append("发证单位为空")
        issued = _date(cell.get("issue_date", ""), "发证日期", reasons)
        if issued is None and cell.get("issue_date", "") == "":
            reasons.append("发证日期为空")
        valid_to = _date(cell.get("valid_to", ""), "有效期至", reasons)
        if issued and issued > today:
            reasons.append(f"发证日期 {issued} 晚于今天（历史证件不能新发）")
        if issued and valid_to and valid_to < issued:
            reasons.append(f"有效期至 {valid_to} 早于发证日期 {issued}")
        if issued and holder is not None and issued < holder.birth_date:
            reasons.append(f"发证日期 {issued} 早于持证人出生日期")
        order = None
        if cell.get("birth_order"):
            if cell["birth_order"].isdigit() and 0 < int(cell["birth_order"]) < 20:
                order = int(cell["birth_order"])
            else:
                reasons.append(f"孩次“{cell['birth_order']}”不是 1–19 的整数")
        if cell.get("policy") and cell["policy"] not in POLICIES:
            reasons.append(f"政策属性“{cell['policy']}”不是：{'、'.join(POLICIES)}")
        if cell.get("parentage") and cell["parentage"] not in PARENTAGES:
            reasons.append(f"亲生关系“{cell['parentage']}”不是：{'、'.join(PARENTAGES)}")
        if reasons or holder is None or kind is None or issued is None:
            result.rejected.append(Rejected(row.line, row.cells, reasons))
            continue
        if kind == HistoricKind.MIGRANT_CERT and valid_to is None:
            years = param_value("historic.migrant_cert_valid_years", issued)
            valid_to = issued.replace(year=issued.year + years) - dt.timedelta(days=1)
        seen.add((kind, number))
        good.append(
            HistoricDocument(
                kind=kind,
                number=number,
                holder=holder,
                holder_uuid=holder.uuid,
                region_code=holder.responsible_code,
                issuer=cell["issuer"],
                issue_date=issued,
                valid_to=valid_to,
                status=cell.get("status", ""),
                birth_order=order,
                policy=cell.get("policy", ""),
                parentage=cell.get("parentage", ""),
                note=cell.get("note", ""),
                source=source[:200],
                source_line=row.line,
                imported_at=now,
                imported_by=actor,
            )
        )
    with transaction.atomic():
        HistoricDocument.objects.bulk_create(good, batch_size=500)
        region = actor.region.code if getattr(actor, "region", None) else ""
        detail = {"kind": "historic_documents", "accepted": len(good), "rejected": len(result.rejected)}
        audit_record(actor=actor, action=Action.LOAD, obj=None, region_code=region, detail=detail)
    result.accepted = len(good)
    return result


def rejected_csv(header: list[str], result: ImportResult) -> bytes:
    """The rejected rows with their line and reasons (cells escaped against formulas)."""
    out = io.StringIO()
    w = spreadsheet.csv_writer(out)
    w.writerow(["原行号", *header, "拒绝原因"])
    for r in result.rejected:
        w.writerow([r.line, *r.cells, "；".join(r.reasons)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
