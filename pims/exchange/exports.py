"""The printed handover list (交接清单): PDF laid out by WeasyPrint with
Noto Sans CJK, as the statistics exports are."""

from django.template.loader import render_to_string

from pims.stats.exports import FONT

from . import selectors


def handover_pdf(handover_list) -> bytes:
    from weasyprint import HTML

    message = selectors.with_names([handover_list.message])[0]
    html = render_to_string(
        "exchange/handover_pdf.html",
        {"hl": handover_list, "m": message, "rows": selectors.handover_rows(handover_list), "font": FONT},
    )
    return HTML(string=html).write_pdf()
