"""The integration app's work-queue source (pims.web.queues): departmental
records waiting for this reviewer, one item per file and region."""

from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.web.queues import QueueItem, register_source

from .selectors import intake_review_list_visible_to

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


def register() -> None:
    register_source("integration.review", gettext_lazy("部门数据待核对"), records_to_review)
