"""Excel, CSV and PDF of a report result — the same `Result` the page shows.

Excel follows the layout clerks expect: the title over the whole width,
a line with the region, period, counting rule and unit, a two-level
header with merged cells, the rows and the total, then 制表人 / 审核人 /
填报日期. PDF is the same table laid out by WeasyPrint with Noto Sans CJK.
"""

import io
from urllib.parse import quote

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from pims.lib import clock, spreadsheet

from .tables import Result, Section

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
FONT = "Noto Sans CJK SC"


def filename(result: Result, fmt: str) -> str:
    return f"{result.title}-{result.region.name}-{result.period_label.replace(' ', '')}.{fmt}"


def content_disposition(name: str) -> str:
    return f"attachment; filename=\"report.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


def render(result: Result, fmt: str, *, user) -> tuple[bytes, str, str]:
    maker = {"xlsx": to_xlsx, "csv": to_csv, "pdf": to_pdf}[fmt]
    return maker(result, user=user), FORMATS[fmt], filename(result, fmt)


def _period_line(result: Result) -> str:
    return _("填报单位：%(name)s（%(code)s）    统计期：%(period)s") % {
        "name": result.region.name,
        "code": result.region.code,
        "period": result.period_label,
    }


def _footer(user) -> list[str]:
    day = clock.today()
    return [
        _("制表人：%(user)s") % {"user": user},
        str(_("审核人：")),
        _("填报日期：%(y)d年%(m)02d月%(d)02d日") % {"y": day.year, "m": day.month, "d": day.day},
    ]


def _number(col, value):
    if value is None:
        return None
    if col.fmt == "int":
        return int(value)
    if col.fmt == "pct1":
        return round(value, 1)
    return round(value, 2 if col.fmt == "dec2" else 1)


# Every text cell of a report goes through the one escaping (region names and
# labels come from data a user typed).
put = spreadsheet.xlsx_set


def to_xlsx(result: Result, *, user) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    for i, section in enumerate(result.sections, start=1):
        ws = wb.create_sheet(title=(_("表%(n)d") % {"n": i})[:31])
        width = len(section.columns) + 1
        last = get_column_letter(width)
        ws.merge_cells(f"A1:{last}1")
        put(ws, 1, 1, _title(result, section))
        ws["A1"].font = Font(size=16, bold=True)
        ws["A1"].alignment = center
        ws.merge_cells(f"A2:{last}2")
        put(ws, 2, 1, _period_line(result))
        ws.merge_cells(f"A3:{last}3")
        put(ws, 3, 1, _("统计口径：%(basis)s    单位：%(unit)s") % {"basis": result.basis, "unit": section.unit})
        ws["A3"].alignment = Alignment(wrap_text=True)
        top = 4
        header_rows = 2 if section.two_level else 1
        put(ws, top, 1, str(section.row_header))
        if header_rows == 2:
            ws.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
        col = 2
        for group, span in section.header_groups():
            if group:
                put(ws, top, col, str(group))
                if span > 1:
                    ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
                for j in range(span):
                    put(ws, top + 1, col + j, str(section.columns[col - 2 + j].label))
            else:
                put(ws, top, col, str(section.columns[col - 2].label))
                if header_rows == 2:
                    ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
            col += span
        for r in range(top, top + header_rows):
            for c_no in range(1, width + 1):
                cell = ws.cell(row=r, column=c_no)
                cell.font = Font(bold=True)
                cell.alignment = center
                cell.border = box
        r = top + header_rows
        for row in section.all_rows():
            put(ws, r, 1, str(row.label)).border = box
            if row.is_total:
                ws.cell(row=r, column=1).font = Font(bold=True)
            for j, c in enumerate(section.columns, start=2):
                cell = put(ws, r, j, _number(c, row.values.get(c.key)))
                cell.border = box
                if c.fmt == "dec2":
                    cell.number_format = "0.00"
                elif c.fmt in ("dec1", "pct1"):
                    cell.number_format = "0.0"
            r += 1
        if section.note:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            note = _("说明：%(note)s") % {"note": section.note}
            put(ws, r, 1, note).alignment = Alignment(wrap_text=True)
            r += 1
        r += 1
        for j, text in enumerate(_footer(user)):
            put(ws, r, 1 + j * max(1, width // 3), text)
        ws.column_dimensions["A"].width = 18
        for c_no in range(2, width + 1):
            ws.column_dimensions[get_column_letter(c_no)].width = 11
        ws.freeze_panes = ws.cell(row=top + header_rows, column=2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _title(result: Result, section: Section) -> str:
    if len(result.sections) > 1:
        return _("%(title)s（%(section)s）") % {"title": result.title, "section": section.title}
    return str(result.title)


def _flat_label(col) -> str:
    return f"{col.group}/{col.label}" if col.group else col.label


def to_csv(result: Result, *, user) -> bytes:
    out = io.StringIO()
    w = spreadsheet.csv_writer(out)
    w.writerow([result.title])
    w.writerow([_period_line(result)])
    w.writerow([_("统计口径：%(basis)s") % {"basis": result.basis}])
    for section in result.sections:
        w.writerow([])
        w.writerow([section.title, _("单位：%(unit)s") % {"unit": section.unit}])
        w.writerow([_("代码"), section.row_header, *[_flat_label(c) for c in section.columns]])
        for row in section.all_rows():
            w.writerow([row.key, row.label, *[c.format(row.values.get(c.key)) for c in section.columns]])
    w.writerow([])
    w.writerow(_footer(user))
    # With a BOM, so that Excel opens the UTF-8 file correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_pdf(result: Result, *, user) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "stats/report_pdf.html",
        {
            "result": result,
            "sections": [(s, _rows(s)) for s in result.sections],
            "footer": _footer(user),
            "period_line": _period_line(result),
            "font": FONT,
        },
    )
    return HTML(string=html).write_pdf()


def _rows(section: Section):
    return [(row, [c.format(row.values.get(c.key)) for c in section.columns]) for row in section.all_rows()]
