"""The import page: upload a police extract, queue the import (pims.integration.launch,
run by the task queue's worker), watch its progress (htmx polling of the
job's row, with the queue's state) and fetch the rejected rows (scoped, audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.services import client_ip
from pims.jobs.selectors import job_status
from pims.lib.errors import Refused
from pims.web.errors import refusals_as_messages

from . import launch, selectors, services
from .forms import DepartmentImportForm, ImportForm
from .rejected import may_fetch_rejected, rejected_rows_open
from .services import may_import


def _require_importer(user) -> None:
    if not may_import(user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    _require_importer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = launch.import_start(
                actor=request.user,
                upload=data["file"],
                mapping_upload=data["mapping"],
                village_default=data["village_default"],
                family_mode=data["family_mode"],
            )
        except Refused as exc:  # the form keeps the choices made
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("文件已上传，导入在后台进行。"))
            return redirect("integration:import_detail", pk=job.pk)
    jobs = selectors.import_job_list_visible_to(user=request.user, kinds=("police",)).select_related("actor")[:50]
    return render(request, "integration/import_list.html", {"form": form, "jobs": jobs})


DEPARTMENTS = {
    "civil": {
        "title": _lazy("民政婚姻登记导入"),
        "may": services.may_import_civil,
        "hint": _lazy(
            "民政部门的婚姻登记记录（结婚、离婚、补领、撤销）按公民身份号码与登记库比对（15 位旧号码按 18 位号码处理）："
            "男女双方都完全对上的结婚、离婚记录生成女方所在乡镇本月民政变更单中的事件，由乡镇审核员审核；"
            "对不上的记录进入“部门数据待核对”；有错误的行退回并说明规则。同一证件字号再次导入不会重复登记。"
        ),
        "columns": _lazy(
            "标准列名：业务类型、登记日期、登记机关、结婚证字号，以及男方/女方的姓名、公民身份号码、性别、出生日期、民族、国籍、户籍地址。"
        ),
    },
    "police_changes": {
        "title": _lazy("公安户口变动导入"),
        "may": services.may_import_police_changes,
        "hint": _lazy(
            "公安的户口变动（出生登记、迁入、迁出、死亡注销、其他注销、信息变更）按公民身份号码与登记库比对（15 位旧号码按 18 位号码处理）："
            "完全对上的迁出、死亡注销、其他注销生成本人所在乡镇本月公安变更单中的事件，由乡镇审核员审核；出生登记、迁入、信息变更和对不上的记录"
            "进入“部门数据待核对”；有错误的行退回并说明规则。同一人同一天的同一变动再次导入不会重复登记。"
        ),
        "columns": _lazy(
            "标准列名：变动类型、变动日期、公民身份号码、姓名、性别、出生日期、户号、迁自/迁往地址、迁自/迁往区划代码、原因。"
        ),
    },
    "health": {
        "title": _lazy("卫健出生医学证明导入"),
        "may": services.may_import_health,
        "hint": _lazy(
            "卫健部门的出生医学证明按母亲（及父亲）的公民身份号码与登记库比对：完全对上的出生生成母亲所在乡镇本月卫健变更单中的出生事件"
            "（婴儿落户母亲所在户），由乡镇审核员审核；对不上或尚未取名的进入“部门数据待核对”；有错误的行退回并说明规则。"
            "同一证明编号再次导入不会重复登记。"
        ),
        "columns": _lazy(
            "标准列名：出生医学证明编号、新生儿姓名、性别、出生日期时间、出生地点、出生体重、孕周、母亲姓名、母亲公民身份号码、"
            "父亲姓名、父亲公民身份号码、签发日期、签发机构。"
        ),
    },
}


@login_required
@require_http_methods(["GET", "POST"])
def department_import(request, kind):
    """Upload a departmental file (civil affairs, health): who files that source's reports."""
    department = DEPARTMENTS.get(kind)
    if department is None or not department["may"](request.user):
        raise Http404
    form = DepartmentImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = launch.department_import_start(
                actor=request.user,
                kind=kind,
                upload=form.cleaned_data["file"],
                mapping_upload=form.cleaned_data["mapping"],
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("文件已上传，导入在后台进行。"))
            return redirect("integration:import_detail", pk=job.pk)
    jobs = selectors.import_job_list_visible_to(user=request.user, kinds=(kind,)).select_related("actor")[:50]
    context = {"form": form, "jobs": jobs, "department": department, "loaded_label": _("生成事件")}
    return render(request, "integration/department_import.html", context)


def _progress_context(request, job):
    queued = launch.queue_job(job)
    return {
        "job": job,
        "progress": selectors.import_progress(job),
        "queue": job_status(queued) if queued is not None and job.state != job.State.DONE else None,
        "can_fetch_rejected": may_fetch_rejected(request.user),
    }


@login_required
@require_GET
def import_detail(request, pk):
    job = selectors.access_import_job(request.user, pk)
    context = _progress_context(request, job)
    context["incomplete"] = selectors.import_incomplete_households(user=request.user, job=job)
    return render(request, "integration/import_detail.html", context)


@login_required
@require_GET
def import_progress(request, pk):
    job = selectors.access_import_job(request.user, pk)
    return render(request, "integration/_import_progress.html", _progress_context(request, job))


@login_required
@require_POST
def import_resume(request, pk):
    job = selectors.access_import_job(request.user, pk)
    with refusals_as_messages(request):
        launch.import_resume(actor=request.user, job=job)
        messages.success(request, _("导入已重新开始，将从上次提交处继续。"))
    return redirect("integration:import_detail", pk=job.pk)


@login_required
@require_GET
def import_rejected(request, pk):
    """The rejected rows with their full ID numbers: audited as an export."""
    job = selectors.access_import_job(request.user, pk)
    if not may_fetch_rejected(request.user):
        raise Http404
    handle = rejected_rows_open(actor=request.user, job=job, ip=client_ip(request))
    response = FileResponse(handle, as_attachment=True, filename=f"rejected-{job.pk}.csv", content_type="text/csv")
    response["Cache-Control"] = "no-store"
    return response


# --- the review queue of departmental records -------------------------------------------


@login_required
@require_GET
def review_list(request):
    """Records of departmental files waiting for this reviewer (404 without the review capability)."""
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    records = selectors.intake_review_list_visible_to(user=request.user).select_related("job")[:200]
    return render(request, "integration/review_list.html", {"records": records})


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk):
    record = selectors.access_intake_record(request.user, pk)
    if request.method == "POST":
        action, note = request.POST.get("action"), request.POST.get("note", "")
        with refusals_as_messages(request):
            if action == "accept":
                choices = {role: _int(request.POST.get(role)) for role in record.parties}
                record = services.intake_record_accept(actor=request.user, record=record, choices=choices, note=note)
                messages.success(request, _("已确认：%(state)s") % {"state": record.get_state_display()})
            elif action == "dismiss":
                services.intake_record_dismiss(actor=request.user, record=record, note=note)
                messages.success(request, _("已驳回该记录。"))
            else:
                raise Http404
            return redirect("integration:review_list")
    sides = selectors.intake_record_sides(user=request.user, record=record)
    return render(request, "integration/review_detail.html", {"record": record, "sides": sides})


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


# --- likely duplicates in the register ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_list(request):
    """Likely duplicate persons for this reviewer; POST starts a scan of the
    reviewer's jurisdiction on the task queue."""
    if not has_capability(request.user, Cap.REVIEW):
        raise Http404
    if request.method == "POST":
        with refusals_as_messages(request):
            launch.duplicates_scan_start(actor=request.user)
            messages.success(request, _("已开始查找重复人员，结果稍后列在下方。"))
        return redirect("integration:duplicate_list")
    pairs = selectors.duplicate_list_visible_to(user=request.user).select_related("person_a", "person_b")[:200]
    scan = launch.duplicates_scan_latest(actor=request.user)
    context = {"pairs": pairs, "scan": job_status(scan) if scan is not None else None}
    return render(request, "integration/duplicate_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_detail(request, pk):
    pair = selectors.access_duplicate_pair(request.user, pk)
    if request.method == "POST":
        if request.POST.get("action") != "dismiss":
            raise Http404
        with refusals_as_messages(request):
            services.duplicate_dismiss(actor=request.user, pair=pair, note=request.POST.get("note", ""))
            messages.success(request, _("已标记为不是同一人。"))
            return redirect("integration:duplicate_list")
    rows, why = selectors.duplicate_sides(pair=pair)
    return render(request, "integration/duplicate_detail.html", {"pair": pair, "rows": rows, "why": why})
