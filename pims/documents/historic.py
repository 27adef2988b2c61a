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
from typing import Any

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


@dataclass
class Judge:
    """What judging a row needs, loaded once per file (or per resumed run):
    the column index, the persons the actor may see, the numbers the
    register already holds (`existing`) and those this import has loaded
    (`mine`: its earlier chunks and rows)."""

    actor: Any
    header: list[str]
    index: dict[str, int]
    visible: Any
    today: dt.date
    imported_at: dt.datetime
    source: str
    existing: set[tuple[str, str]]
    mine: set[tuple[str, str]]


def judge_prepare(*, actor, header: list[str], source: str, imported_at: dt.datetime) -> Judge:
    """Check the header (SheetError naming the missing columns) and load
    the register's numbers; the documents an earlier run of this import
    loaded (same actor, file and start) count as the file's own."""
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise spreadsheet.SheetError(f"表头缺少：{'、'.join(missing)}")
    rows = HistoricDocument.objects.values_list("kind", "number", "source", "imported_at", "imported_by_id")
    existing: set[tuple[str, str]] = set()
    mine: set[tuple[str, str]] = set()
    for kind, number, src, at, by in rows:
        own = src == source[:200] and at == imported_at and by == actor.pk
        (mine if own else existing).add((kind, number))
    return Judge(
        actor=actor,
        header=header,
        index={HEADERS[h]: i for i, h in enumerate(header) if h in HEADERS},
        visible=person_list_visible_to(user=actor),
        today=clock.today(),
        imported_at=imported_at,
        source=source,
        existing=existing,
        mine=mine,
    )


def judge_chunk(judge: Judge, rows: list[spreadsheet.SheetRow]) -> tuple[list[HistoricDocument], list[Rejected]]:
    """The good rows as unsaved documents and the bad ones with every reason."""
    holders = _holders(judge.visible, rows, judge.index.get("citizen_id"))
    good: list[HistoricDocument] = []
    rejected: list[Rejected] = []
    for row in rows:
        doc, reasons = _judge_row(judge, row, holders)
        if doc is None:
            rejected.append(Rejected(row.line, row.cells, reasons))
        else:
            judge.mine.add((doc.kind, doc.number))
            good.append(doc)
    return good, rejected


def _judge_row(judge: Judge, row: spreadsheet.SheetRow, holders: dict) -> tuple[HistoricDocument | None, list[str]]:
    header, today = judge.header, judge.today
    reasons: list[str] = []
    cell = {key: (row.cells[i] if i < len(row.cells) else "") for key, i in judge.index.items()}
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
    elif kind is not None and ((kind, number) in judge.existing or (kind, number) in judge.mine):
        reasons.append(f"证号“{number}”重复（{'库中已有' if (kind, number) in judge.existing else '文件中已出现'}）")
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
        return None, reasons
    if kind == HistoricKind.MIGRANT_CERT and valid_to is None:
        years = param_value("historic.migrant_cert_valid_years", issued)
        valid_to = issued.replace(year=issued.year + years) - dt.timedelta(days=1)
    doc = HistoricDocument(
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
        source=judge.source[:200],
        source_line=row.line,
        imported_at=judge.imported_at,
        imported_by=judge.actor,
    )
    return doc, reasons


def historic_import(*, actor, header: list[str], rows: list[spreadsheet.SheetRow], source: str) -> ImportResult:
    """Judge and load the rows in one transaction, audited (a small file,
    or a test; the page's uploads run on the task queue, pims.documents.tasks)."""
    judge = judge_prepare(actor=actor, header=header, source=source, imported_at=clock.now())
    good, rejected = judge_chunk(judge, rows)
    with transaction.atomic():
        HistoricDocument.objects.bulk_create(good, batch_size=500)
        region = actor.region.code if getattr(actor, "region", None) else ""
        detail = {"kind": "historic_documents", "accepted": len(good), "rejected": len(rejected)}
        audit_record(actor=actor, action=Action.LOAD, obj=None, region_code=region, detail=detail)
    return ImportResult(accepted=len(good), rejected=rejected)


def rejected_csv(header: list[str], result: ImportResult) -> bytes:
    """The rejected rows with their line and reasons (cells escaped against formulas)."""
    out = io.StringIO()
    w = spreadsheet.csv_writer(out)
    w.writerow(["原行号", *header, "拒绝原因"])
    for r in result.rejected:
        w.writerow([r.line, *r.cells, "；".join(r.reasons)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
