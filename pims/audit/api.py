"""Audit log API: the same selector and filters as the auditor page.

Mounted by pims/api/api.py at /api/audit (``api.add_router("/audit", audit_router)``).
"""

from datetime import date, datetime
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import SessionAuth

from .models import Action
from .selectors import audit_entry_list, require_audit_reader

# Session auth on the router too, so that it stays closed wherever it is mounted.
router = Router(tags=["audit"], auth=SessionAuth())


class AuditFilters(Schema):
    username: str | None = None
    action: Action | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    username: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    ip: str | None
    detail: dict[str, Any]

    @staticmethod
    def resolve_username(obj):
        return obj.actor_username


@router.get("/entries", response=list[AuditEntryOut])
@paginate(PageNumberPagination)
def audit_entries(request, filters: Query[AuditFilters]):
    user = request.auth
    require_audit_reader(user)
    return audit_entry_list(user=user, filters=filters.dict())
