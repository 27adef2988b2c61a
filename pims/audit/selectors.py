from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability

from .models import AuditEntry


def require_audit_reader(user) -> None:
    """404 for everyone without READ_AUDIT: the log's existence is not shown."""
    if not has_capability(user, Cap.READ_AUDIT):
        raise Http404


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _region_prefix(code: str) -> str:
    from pims.regions.models import Region

    region = Region.objects.filter(code=code).first()
    return region.prefix if region is not None else code


def audit_entry_list(*, user, filters: dict | None = None) -> QuerySet[AuditEntry]:
    """Entries visible to `user` (auditors only), newest first.

    `filters` keys (all optional): ``username``, ``action``, ``object_type``,
    ``object_id``, ``date_from``, ``date_to`` (local dates, both inclusive),
    ``region`` (a region code: its subtree; or a code prefix).
    """
    require_audit_reader(user)
    filters = filters or {}
    qs = AuditEntry.objects.order_by("-seq")
    exact = {
        "actor_username": filters.get("username"),
        "action": filters.get("action"),
        "object_type": filters.get("object_type"),
        "object_id": filters.get("object_id"),
    }
    qs = qs.filter(**{field: value for field, value in exact.items() if value})
    if filters.get("region"):
        qs = qs.filter(region_code__startswith=_region_prefix(filters["region"]))
    if filters.get("date_from"):
        qs = qs.filter(at__gte=_local_midnight(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(at__lt=_local_midnight(filters["date_to"] + timedelta(days=1)))
    return qs


def latest_chain_check():
    """The newest 审计链验证 job (pims.audit.tasks), or None."""
    from pims.jobs.models import Job

    return Job.objects.filter(kind="audit_verify").select_related("actor").order_by("-created_at", "-id").first()
