"""The integration app's work-queue sources (pims.web.queues): departmental
records waiting for this reviewer, one item per file and region; and the
user's own import jobs that failed or finished lately — to look at the
rejected rows or start again."""

import datetime as dt

from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.lib import clock
from pims.params.selectors import param_value
from pims.web.queues import QueueItem, register_source

from .models import ImportJob
from .selectors import (
    duplicate_list_visible_to,
    import_job_list_visible_to,
    import_jobs_with_incomplete_households,
    intake_review_list_visible_to,
)

LIMIT = 20


def records_to_review(user) -> list[QueueItem]:
    groups = (
        intake_review_list_visible_to(user=user)
        .values("job_id", "job__file_name")
        .annotate(n=Count("id"), latest=Max("created_at"))
        .order_by("-latest")[:LIMIT]
    )
    return [
        QueueItem(
            key=f"integration.review:{g['job_id']}:{g['n']}",
            title=_("%(file)s：%(n)s 条部门数据待核对") % {"file": g["job__file_name"], "n": g["n"]},
            url=reverse("integration:review_list"),
            created=g["latest"],
            count=g["n"],
        )
        for g in groups
    ]


def finished_imports(user) -> list[QueueItem]:
    days = param_value("work_queue.finished_import_days", clock.today())
    since = clock.now() - dt.timedelta(days=days)
    jobs = (
        import_job_list_visible_to(user=user)
        .filter(actor=user, state__in=[ImportJob.State.DONE, ImportJob.State.FAILED], finished_at__gte=since)
        .order_by("-finished_at")[:LIMIT]
    )
    out = []
    for job in jobs:
        failed = job.state == ImportJob.State.FAILED
        if failed:
            title = _("导入 %(file)s 失败，请查看原因后继续或重新导入") % {"file": job.file_name}
            detail = job.message[:80]
        else:
            title = _("导入 %(file)s 已完成") % {"file": job.file_name}
            detail = _("新增 %(loaded)s 人，已登记未变 %(present)s 人，退回 %(rejected)s 行") % {
                "loaded": job.rows_loaded,
                "present": job.rows_present,
                "rejected": job.rows_rejected,
            }
        out.append(
            QueueItem(
                key=f"integration.import:{job.pk}:{job.state}",
                title=title,
                url=reverse("integration:import_detail", args=[job.pk]),
                created=job.finished_at or job.updated_at,
                urgent=failed or job.rows_rejected > 0,
                detail=detail,
            )
        )
    return out


def duplicates_to_review(user) -> list[QueueItem]:
    """One item for all the likely duplicate pairs waiting for this reviewer."""
    pairs = duplicate_list_visible_to(user=user).aggregate(n=Count("id"), latest=Max("found_at"))
    if not pairs["n"]:
        return []
    return [
        QueueItem(
            key=f"integration.duplicates:{pairs['n']}",
            title=_("%(n)s 对疑似重复人员待核对") % {"n": pairs["n"]},
            url=reverse("integration:duplicate_list"),
            created=pairs["latest"],
            count=pairs["n"],
        )
    ]


def incomplete_households(user) -> list[QueueItem]:
    """Members mode: households loaded without some of their members; the
    item stays until a later import (the corrected rejected rows) completes them."""
    jobs = import_jobs_with_incomplete_households(user=user).order_by("-finished_at")[:LIMIT]
    return [
        QueueItem(
            key=f"integration.incomplete:{job.pk}:{len(job.incomplete_households)}",
            title=_("导入 %(file)s：%(n)s 户成员不全（部分成员的行被退回）")
            % {
                "file": job.file_name,
                "n": len(job.incomplete_households),
            },
            url=reverse("integration:import_detail", args=[job.pk]),
            created=job.finished_at or job.updated_at,
            urgent=True,
            count=len(job.incomplete_households),
            detail=_("改正退回行文件后重新导入，这些户即补齐"),
        )
        for job in jobs
    ]


def register() -> None:
    register_source("integration.review", gettext_lazy("部门数据待核对"), records_to_review)
    register_source("integration.duplicates", gettext_lazy("疑似重复人员"), duplicates_to_review)
    register_source("integration.imports", gettext_lazy("已结束的导入"), finished_imports)
    register_source("integration.incomplete", gettext_lazy("导入后成员不全的户"), incomplete_households)
