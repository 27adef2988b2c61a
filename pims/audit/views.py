from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pims.lib import clock, spreadsheet

from .display import detail_lines, mask_ip, mask_text, object_label
from .forms import AuditFilterForm
from .models import Action
from .selectors import audit_entry_list, latest_chain_check, require_audit_reader
from .services import audit_record, client_ip

PAGE_SIZE = 50
# An export holds at most this many entries (narrow the filters for more).
EXPORT_LIMIT = 50_000


def _filtered(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters, audit_entry_list(user=request.user, filters=filters)


@login_required
def entry_list(request):
    require_audit_reader(request.user)
    form, _filters, entries = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, object_label(e.object_type), detail_lines(e.detail)) for e in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "check": latest_chain_check()}
    return render(request, "audit/entry_list.html", context)


class _Line:
    def write(self, value):
        return value


EXPORT_COLUMNS = ["序号", "时间", "用户", "操作", "对象", "对象编号", "区划代码", "IP 地址（遮蔽）", "详情"]


@login_required
def entry_export(request):
    """The filtered entries as CSV, long numbers and the IP tail masked; the export is itself audited."""
    require_audit_reader(request.user)
    _form, filters, entries = _filtered(request)
    count = min(entries.count(), EXPORT_LIMIT)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        obj=("audit.auditentry", ""),
        ip=client_ip(request),
        detail={
            "what": "audit_log",
            "rows": count,
            "masked": True,
            "filters": {k: str(v) for k, v in filters.items() if v},
        },
    )
    writer = spreadsheet.csv_writer(_Line())

    def body():
        yield "\ufeff".encode() + writer.writerow(EXPORT_COLUMNS).encode()
        for e in entries[:EXPORT_LIMIT].iterator(chunk_size=2000):
            detail = "；".join(f"{label}：{value}" for label, value in detail_lines(e.detail))
            yield writer.writerow(
                [
                    e.seq,
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_username,
                    e.get_action_display(),
                    object_label(e.object_type),
                    mask_text(e.object_id),
                    e.region_code,
                    mask_ip(e.ip),
                    mask_text(detail),
                ]
            ).encode()

    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@login_required
@require_POST
def chain_verify(request):
    """Run the chain check (as `manage.py audit_verify`) on the task queue."""
    from pims.jobs.services import job_enqueue

    require_audit_reader(request.user)
    job_enqueue(kind="audit_verify", actor=request.user)
    messages.success(request, _("已开始验证审计链，结果稍后显示在本页。"))
    return redirect("audit:entry_list")
