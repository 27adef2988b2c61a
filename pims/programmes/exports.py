"""The village 公示 list as PDF (WeasyPrint, as the statistics reports) and
the 名册 as Excel (openpyxl; every cell through the project's formula
escaping, pims.lib.spreadsheet); every list — entries, 名册, stops, the
change list, the health lists — also as a `Table`, rendered to Excel and to
PDF from the same rows. IDs are masked in the 公示 list; the 名册
for finance carries the masked ID as well (the full number is never put in
a file here)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.template.loader import render_to_string

from pims.lib import clock, spreadsheet
from pims.regions.models import Region

from .models import Cycle, Programme, Roster
from .selectors import notice_entries

FONT = "Noto Sans CJK SC"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEX = {"1": "男", "2": "女"}
TEFU_KIND = {"death": "死亡", "disability": "伤残", "": ""}
ROSTER_HEADER = ["序号", "乡镇", "村", "姓名", "性别", "出生年份", "公民身份号码", "类别", "变动", "金额（元）"]


def _names(codes) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def notice_pdf(cycle: Cycle, village_code: str) -> bytes:
    from weasyprint import HTML

    from .models import Notice

    notice = Notice.objects.filter(cycle=cycle, village_code=village_code).first()
    entries = list(notice_entries(cycle, village_code))
    names = _names([village_code, village_code[:9] + "000"])
    rows = [
        {
            "n": i,
            "name": e.person.name,
            "sex": SEX.get(e.person.sex, ""),
            "birth_year": e.person.birth_date.year,
            "id": e.person.id_masked or "—",
            "kind": TEFU_KIND.get(e.tefu_kind, ""),
            "change": e.get_change_display(),
        }
        for i, e in enumerate(entries, start=1)
    ]
    html = render_to_string(
        "programmes/notice_pdf.html",
        {
            "cycle": cycle,
            "title": f"{cycle.year} 年度{Programme(cycle.programme).label}对象公示名单",
            "village": names.get(village_code, village_code),
            "township": names.get(village_code[:9] + "000", ""),
            "notice": notice,
            "rows": rows,
            "tefu": cycle.programme == Programme.TEFU,
            "font": FONT,
            "today": clock.today(),
        },
    )
    return HTML(string=html).write_pdf()


def roster_rows(roster: Roster):
    lines = list(
        roster.lines.select_related("entry__person").order_by("entry__village_code", "entry__person__name", "pk")
    )
    names = _names({c for line in lines for c in (line.entry.village_code, line.entry.village_code[:9] + "000")})
    for i, line in enumerate(lines, start=1):
        e, p = line.entry, line.entry.person
        yield [
            i,
            names.get(e.village_code[:9] + "000", ""),
            names.get(e.village_code, e.village_code),
            p.name,
            SEX.get(p.sex, ""),
            p.birth_date.year,
            p.id_masked,
            TEFU_KIND.get(e.tefu_kind, "") or str(Programme(roster.cycle.programme).label),
            e.get_change_display(),
            float(line.amount),
        ]


def roster_xlsx(roster: Roster) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    cycle = roster.cycle
    ws.append(
        spreadsheet.xlsx_row(
            ws, [f"{cycle.year} 年度{Programme(cycle.programme).label}资金发放名册（第 {roster.number} 批）"]
        )
    )
    ws.append(spreadsheet.xlsx_row(ws, [f"县级区划：{cycle.county_code}    制表日期：{clock.today().isoformat()}"]))
    ws.append(spreadsheet.xlsx_row(ws, ROSTER_HEADER))
    total = 0.0
    count = 0
    for row in roster_rows(roster):
        ws.append(spreadsheet.xlsx_row(ws, row))
        total += row[-1]
        count += 1
    ws.append(spreadsheet.xlsx_row(ws, ["合计", "", "", f"{count} 人", "", "", "", "", "", total]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def health_xlsx(title: str, rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(spreadsheet.xlsx_row(ws, [f"{title}（{clock.today().isoformat()}）"]))
    ws.append(spreadsheet.xlsx_row(ws, ["序号", "对象", "出生日期", "公民身份号码", "责任区划", "孩次", "说明"]))
    for i, r in enumerate(rows, start=1):
        ws.append(
            spreadsheet.xlsx_row(
                ws, [i, r["who"], r["birth"].isoformat(), r["id"], r["code"], r.get("order") or "", r["note"]]
            )
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ENTRY_HEADER = [
    "序号",
    "村",
    "姓名",
    "性别",
    "出生年份",
    "公民身份号码",
    "环节",
    "变动",
    "资格判定",
    "未通过或缺少资料的理由",
]


def entries_xlsx(cycle: Cycle, entries) -> bytes:
    """The candidate / entry list with the reasons (the review worksheet)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("对象名单")
    ws.append(spreadsheet.xlsx_row(ws, [f"{cycle.year} 年度{Programme(cycle.programme).label}对象名单"]))
    ws.append(spreadsheet.xlsx_row(ws, ENTRY_HEADER))
    rows = list(entries)
    names = _names({e.village_code for e in rows})
    for i, e in enumerate(rows, start=1):
        p = e.person
        reasons = "；".join(text for _rule, outcome, text in e.verdicts if outcome != "pass")
        ws.append(
            spreadsheet.xlsx_row(
                ws,
                [
                    i,
                    names.get(e.village_code, e.village_code),
                    p.name,
                    SEX.get(p.sex, ""),
                    p.birth_date.year,
                    p.id_masked,
                    e.get_stage_display(),
                    e.get_change_display(),
                    "符合条件" if e.outcome == "pass" else "待补充资料",
                    reasons,
                ],
            )
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- every list as a table: Excel and PDF from the same rows (issue 17.6) ---------


@dataclass(frozen=True)
class Table:
    title: str
    subtitle: str
    header: list[str]
    rows: list[list]


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(spreadsheet.xlsx_row(ws, [table.title]))
    ws.append(spreadsheet.xlsx_row(ws, [table.subtitle]))
    ws.append(spreadsheet.xlsx_row(ws, table.header))
    for row in table.rows:
        ws.append(spreadsheet.xlsx_row(ws, row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_pdf(table: Table) -> bytes:
    from weasyprint import HTML

    html = render_to_string("programmes/table_pdf.html", {"table": table, "font": FONT, "today": clock.today()})
    return HTML(string=html).write_pdf()


def _subtitle(cycle: Cycle) -> str:
    return f"县级区划：{cycle.county_code}    制表日期：{clock.today().isoformat()}"


def _cycle_title(cycle: Cycle, what: str) -> str:
    return f"{cycle.year} 年度{Programme(cycle.programme).label}{what}"


def entries_table(cycle: Cycle, entries) -> Table:
    rows = list(entries)
    names = _names({e.village_code for e in rows})
    out = []
    for i, e in enumerate(rows, start=1):
        p = e.person
        reasons = "；".join(text for _rule, outcome, text in e.verdicts if outcome != "pass")
        out.append(
            [
                i,
                names.get(e.village_code, e.village_code),
                p.name,
                SEX.get(p.sex, ""),
                p.birth_date.year,
                p.id_masked,
                e.get_stage_display(),
                e.get_change_display(),
                "符合条件" if e.outcome == "pass" else "待补充资料",
                reasons,
            ]
        )
    return Table(_cycle_title(cycle, "对象名单"), _subtitle(cycle), ENTRY_HEADER, out)


def roster_table(roster: Roster) -> Table:
    cycle = roster.cycle
    rows = list(roster_rows(roster))
    total = sum(r[-1] for r in rows)
    rows.append(["合计", "", "", f"{len(rows)} 人", "", "", "", "", "", total])
    return Table(_cycle_title(cycle, f"资金发放名册（第 {roster.number} 批）"), _subtitle(cycle), ROSTER_HEADER, rows)


def stops_table(cycle: Cycle, pending, recorded) -> Table:
    names = _names({p.entry.village_code for p in pending} | {s.entry.village_code for s in recorded})
    rows = [
        [
            i,
            names.get(p.entry.village_code, p.entry.village_code),
            p.entry.person.name,
            p.entry.person.id_masked,
            p.reason_label,
            p.detail,
            "待停发",
            "",
            "",
        ]
        for i, p in enumerate(pending, start=1)
    ]
    start = len(rows)
    rows += [
        [
            start + i,
            names.get(s.entry.village_code, s.entry.village_code),
            s.entry.person.name,
            s.entry.person.id_masked,
            s.get_reason_display(),
            s.detail,
            "已停发",
            str(s.by),
            s.at.date().isoformat(),
        ]
        for i, s in enumerate(recorded, start=1)
    ]
    header = ["序号", "村", "姓名", "公民身份号码", "停发原因", "说明", "状态", "办理人", "办理日期"]
    return Table(_cycle_title(cycle, "停发名单"), _subtitle(cycle), header, rows)


def changes_table(cycle: Cycle, changes) -> Table:
    names = _names({r.village_code for r in changes})
    rows = [
        [i, r.category, r.name, names.get(r.village_code, r.village_code), r.reason]
        for i, r in enumerate(changes, start=1)
    ]
    return Table(_cycle_title(cycle, "年度变动名单"), _subtitle(cycle), ["序号", "变动", "姓名", "村", "原因"], rows)


HEALTH_HEADER = ["序号", "对象", "出生日期", "公民身份号码", "责任区划", "孩次", "说明"]


def health_table(title: str, rows: list[dict]) -> Table:
    out = [
        [i, r["who"], r["birth"].isoformat(), r["id"], r["code"], r.get("order") or "", r["note"]]
        for i, r in enumerate(rows, start=1)
    ]
    return Table(title, f"制表日期：{clock.today().isoformat()}", HEALTH_HEADER, out)
