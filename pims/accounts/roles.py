"""Roles from DESIGN.md §2 and what each may do.

Capabilities are named here once; views and services ask `has_capability`
instead of comparing role strings, so a role's rights live in one table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.regions.models import Level

if TYPE_CHECKING:
    from .requests import AnyUser


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("村信息员")
    TOWNSHIP_OPERATOR = "township_operator", _("乡镇录入员")
    TOWNSHIP_REVIEWER = "township_reviewer", _("乡镇审核员")
    COUNTY_ADMIN = "county_admin", _("县管理员")
    CITY_VIEWER = "city_viewer", _("市级查询")
    PROVINCE_VIEWER = "province_viewer", _("省级查询")
    AUDITOR = "auditor", _("审计员")
    SYSADMIN = "sysadmin", _("系统管理员")


# The region level a user of each role belongs to (None: any level).
ROLE_LEVEL = {
    Role.VILLAGE_CLERK: [Level.VILLAGE],
    Role.TOWNSHIP_OPERATOR: [Level.TOWNSHIP],
    Role.TOWNSHIP_REVIEWER: [Level.TOWNSHIP],
    Role.COUNTY_ADMIN: [Level.COUNTY],
    Role.CITY_VIEWER: [Level.CITY],
    Role.PROVINCE_VIEWER: [Level.PROVINCE],
    Role.AUDITOR: None,
    Role.SYSADMIN: None,
}

# Roles that must use TOTP two-factor authentication.
ROLES_REQUIRING_2FA = {Role.COUNTY_ADMIN, Role.CITY_VIEWER, Role.PROVINCE_VIEWER, Role.SYSADMIN, Role.AUDITOR}


class Cap(models.TextChoices):
    VIEW_PERSONAL = "view_personal", _("查看个人信息")
    UNMASK_PERSONAL = "unmask_personal", _("查看完整证件号码")
    COLLECT = "collect", _("采集录入")
    EDIT_REGISTER = "edit_register", _("录入更正")
    REVIEW = "review", _("审核")
    COUNTY_ADMIN = "county_admin", _("县级管理")
    VIEW_REPORTS = "view_reports", _("查看统计")
    READ_AUDIT = "read_audit", _("查看审计日志")
    MANAGE_USERS = "manage_users", _("用户管理")
    EDIT_CODES = "edit_codes", _("代码维护")
    EXPORT = "export", _("导出")
    # Bulk import of an outside register (the police extract) into the user's subtree.
    IMPORT_DATA = "import_data", _("批量导入")
    # The dated parameter table (pims.params): county administrators read it, the system administrator amends it.
    VIEW_PARAMETERS = "view_parameters", _("查看政策参数")
    MANAGE_PARAMETERS = "manage_parameters", _("政策参数维护")
    # Scheduled jobs (backup, audit verification …) and their last runs (pims.ops).
    VIEW_SCHEDULED_JOBS = "view_scheduled_jobs", _("查看定时任务")
    # Exchange between jurisdictions (pims.exchange): read the queue, send and answer, route between subtrees.
    VIEW_EXCHANGE = "view_exchange", _("查看信息交换")
    EXCHANGE = "exchange", _("信息交换")
    ROUTE_EXCHANGE = "route_exchange", _("信息交换转递")


ROLE_CAPS: dict[str, set[str]] = {
    Role.VILLAGE_CLERK: {Cap.VIEW_PERSONAL, Cap.COLLECT, Cap.VIEW_REPORTS, Cap.VIEW_EXCHANGE},
    Role.TOWNSHIP_OPERATOR: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.COLLECT,
        Cap.EDIT_REGISTER,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.IMPORT_DATA,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
    },
    Role.TOWNSHIP_REVIEWER: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.REVIEW,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
    },
    Role.COUNTY_ADMIN: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.EDIT_REGISTER,
        Cap.REVIEW,
        Cap.COUNTY_ADMIN,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.IMPORT_DATA,
        Cap.VIEW_PARAMETERS,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
        Cap.ROUTE_EXCHANGE,
    },
    Role.CITY_VIEWER: {Cap.VIEW_PERSONAL, Cap.VIEW_REPORTS, Cap.EXPORT, Cap.VIEW_EXCHANGE, Cap.ROUTE_EXCHANGE},
    Role.PROVINCE_VIEWER: {Cap.VIEW_PERSONAL, Cap.VIEW_REPORTS, Cap.EXPORT, Cap.VIEW_EXCHANGE},
    Role.AUDITOR: {Cap.READ_AUDIT},
    # The system administrator manages users, roles, codes and regions but
    # holds no capability over personal data.
    Role.SYSADMIN: {
        Cap.MANAGE_USERS,
        Cap.EDIT_CODES,
        Cap.VIEW_PARAMETERS,
        Cap.MANAGE_PARAMETERS,
        Cap.VIEW_SCHEDULED_JOBS,
    },
}


def has_capability(user: AnyUser | None, cap: str) -> bool:
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return False
    return cap in ROLE_CAPS.get(user.role, set())
