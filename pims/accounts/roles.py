"""Roles from DESIGN.md §2 and what each may do — the one permission table.

Capabilities are named here once; views and services ask `has_capability`
instead of comparing role strings, so a role's rights live in one table
(ROLE_CAPS, with the export row limits beside it). Every `can_*`/`may_*`
predicate of the apps asks for one capability (plus, where it applies, the
user's jurisdiction or region level); none lists roles or ORs capabilities.
docs/roles.md is generated from this module (`manage.py list_roles`) and a
test fails when the two differ, so a change of rights shows in review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
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
    # File a village's monthly change report (source 村报).
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
    # Enter and edit the door-to-door household forms (入户调查表).
    ENTER_FORMS = "enter_forms", _("入户调查表录入")
    # The village head-count baseline (摸底基数) that completeness is measured against.
    ENTER_BASELINE = "enter_baseline", _("摸底基数录入")
    # Start a batch run of the register rules over a subtree.
    RUN_CHECKS = "run_checks", _("批量逻辑审核")
    # Month approval (pims.approval): see the state, approve a township's month, accept it for the county.
    VIEW_APPROVALS = "view_approvals", _("查看月度审批")
    APPROVE_PERIOD = "approve_period", _("乡镇月度审批")
    ACCEPT_PERIOD = "accept_period", _("县级月度确认")
    # 优质服务 documents (pims.documents): read them, receive applications, register and issue.
    VIEW_DOCUMENTS = "view_documents", _("查看证件")
    APPLY_DOCUMENTS = "apply_documents", _("受理证件申请")
    ISSUE_DOCUMENTS = "issue_documents", _("登记发证")
    # Bundles to the province (pims.bundles): see their state; export one.
    VIEW_BUNDLES = "view_bundles", _("查看数据上报")
    EXPORT_BUNDLES = "export_bundles", _("导出上报数据包")
    # 奖励扶助/特别扶助 (pims.programmes): read the lists, record eligibility facts,
    # and the three review levels of the annual cycle.
    VIEW_PROGRAMMES = "view_programmes", _("查看扶助名单")
    RECORD_PROGRAMME_FACTS = "record_programme_facts", _("录入扶助资格依据")
    PROGRAMME_VILLAGE = "programme_village", _("扶助村级评议公示")
    PROGRAMME_TOWNSHIP = "programme_township", _("扶助乡镇初审")
    PROGRAMME_COUNTY = "programme_county", _("扶助县级确认与名册")
    # Reproductive-health service lists (health data: not for village clerks).
    VIEW_HEALTH_LISTS = "view_health_lists", _("查看生殖健康服务名单")
    RECORD_HEALTH_SERVICE = "record_health_service", _("登记生殖健康服务")
    # Accounts that read personal data are created, reset and re-enabled only by
    # a county administrator of their subtree (issue 14.1; pims.accounts.privilege).
    GRANT_PERSONAL = "grant_personal", _("管理可查看个人信息的账户")
    # Pregnancy and contraception details (PIPL sensitive data, issue 14.7):
    # village clerks enter them but only these roles read them back; every
    # viewing is audited (pims.registry.reproductive).
    VIEW_REPRODUCTIVE = "view_reproductive", _("查看生育健康信息")
    # 专人专机 (issue 14.12): enrol and revoke an account's dedicated devices,
    # and switch the device binding on or off (pims.accounts.devices).
    ENROL_DEVICES = "enrol_devices", _("登记专用设备")


ROLE_CAPS: dict[str, set[str]] = {
    Role.VILLAGE_CLERK: {
        Cap.VIEW_PERSONAL,
        Cap.COLLECT,
        Cap.ENTER_FORMS,
        Cap.VIEW_REPORTS,
        Cap.VIEW_EXCHANGE,
        Cap.VIEW_DOCUMENTS,
        Cap.APPLY_DOCUMENTS,
        Cap.VIEW_PROGRAMMES,
        Cap.RECORD_PROGRAMME_FACTS,
        Cap.PROGRAMME_VILLAGE,
    },
    Role.TOWNSHIP_OPERATOR: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.COLLECT,
        Cap.ENTER_FORMS,
        Cap.ENTER_BASELINE,
        Cap.EDIT_REGISTER,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.IMPORT_DATA,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
        Cap.VIEW_DOCUMENTS,
        Cap.APPLY_DOCUMENTS,
        Cap.ISSUE_DOCUMENTS,
        Cap.VIEW_PROGRAMMES,
        Cap.RECORD_PROGRAMME_FACTS,
        Cap.VIEW_HEALTH_LISTS,
        Cap.VIEW_REPRODUCTIVE,
        Cap.RECORD_HEALTH_SERVICE,
    },
    Role.TOWNSHIP_REVIEWER: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.REVIEW,
        Cap.ENTER_BASELINE,
        Cap.RUN_CHECKS,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
        Cap.VIEW_APPROVALS,
        Cap.APPROVE_PERIOD,
        Cap.VIEW_DOCUMENTS,
        Cap.APPLY_DOCUMENTS,
        Cap.ISSUE_DOCUMENTS,
        Cap.VIEW_PROGRAMMES,
        Cap.PROGRAMME_TOWNSHIP,
        Cap.VIEW_HEALTH_LISTS,
        Cap.VIEW_REPRODUCTIVE,
    },
    Role.COUNTY_ADMIN: {
        Cap.VIEW_PERSONAL,
        Cap.UNMASK_PERSONAL,
        Cap.ENTER_FORMS,
        Cap.ENTER_BASELINE,
        Cap.EDIT_REGISTER,
        Cap.REVIEW,
        Cap.RUN_CHECKS,
        Cap.COUNTY_ADMIN,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.IMPORT_DATA,
        Cap.MANAGE_USERS,
        Cap.GRANT_PERSONAL,
        Cap.ENROL_DEVICES,
        Cap.VIEW_PARAMETERS,
        Cap.VIEW_EXCHANGE,
        Cap.EXCHANGE,
        Cap.ROUTE_EXCHANGE,
        Cap.VIEW_APPROVALS,
        Cap.ACCEPT_PERIOD,
        Cap.VIEW_DOCUMENTS,
        Cap.ISSUE_DOCUMENTS,
        Cap.VIEW_BUNDLES,
        Cap.EXPORT_BUNDLES,
        Cap.VIEW_PROGRAMMES,
        Cap.RECORD_PROGRAMME_FACTS,
        Cap.PROGRAMME_COUNTY,
        Cap.VIEW_HEALTH_LISTS,
        Cap.VIEW_REPRODUCTIVE,
        Cap.RECORD_HEALTH_SERVICE,
    },
    Role.CITY_VIEWER: {
        Cap.VIEW_PERSONAL,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.VIEW_EXCHANGE,
        Cap.ROUTE_EXCHANGE,
        Cap.VIEW_APPROVALS,
        Cap.VIEW_DOCUMENTS,
        Cap.VIEW_PROGRAMMES,
    },
    Role.PROVINCE_VIEWER: {
        Cap.VIEW_PERSONAL,
        Cap.VIEW_REPORTS,
        Cap.EXPORT,
        Cap.VIEW_EXCHANGE,
        Cap.VIEW_APPROVALS,
        Cap.VIEW_DOCUMENTS,
        Cap.VIEW_BUNDLES,
        Cap.VIEW_PROGRAMMES,
    },
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


# The most rows one search export may hold, for each role holding Cap.EXPORT
# (a role without Cap.EXPORT has no limit here and may not export; a test
# checks that the keys are exactly the exporting roles).
EXPORT_ROW_LIMITS: dict[str, int] = {
    Role.TOWNSHIP_OPERATOR: 20_000,
    Role.TOWNSHIP_REVIEWER: 20_000,
    Role.COUNTY_ADMIN: 100_000,
    Role.CITY_VIEWER: 100_000,
    Role.PROVINCE_VIEWER: 100_000,
}


# At the province (PIMS_TIER=province) county data is read-only except
# through bundles (issue 19.3): nobody holds a capability that writes it.
COUNTY_WRITE_CAPS = frozenset(
    {
        Cap.COLLECT,
        Cap.EDIT_REGISTER,
        Cap.REVIEW,
        Cap.COUNTY_ADMIN,
        Cap.IMPORT_DATA,
        Cap.ENTER_FORMS,
        Cap.ENTER_BASELINE,
        Cap.EXCHANGE,
        Cap.ROUTE_EXCHANGE,
        Cap.APPROVE_PERIOD,
        Cap.ACCEPT_PERIOD,
        Cap.APPLY_DOCUMENTS,
        Cap.ISSUE_DOCUMENTS,
        Cap.EXPORT_BUNDLES,
        Cap.RECORD_PROGRAMME_FACTS,
        Cap.PROGRAMME_VILLAGE,
        Cap.PROGRAMME_TOWNSHIP,
        Cap.PROGRAMME_COUNTY,
        Cap.RECORD_HEALTH_SERVICE,
    }
)


def has_capability(user: AnyUser | None, cap: str) -> bool:
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return False
    if cap in COUNTY_WRITE_CAPS and settings.PIMS_TIER == "province":
        return False
    return cap in ROLE_CAPS.get(user.role, set())


def export_row_limit(user: AnyUser | None) -> int:
    """The most rows the user may export at once; 0: may not export."""
    if user is None or isinstance(user, AnonymousUser) or not has_capability(user, Cap.EXPORT):
        return 0
    return EXPORT_ROW_LIMITS.get(user.role, 0)


def roles_markdown() -> str:
    """docs/roles.md: the role × capability matrix and the export limits."""
    roles = list(Role)
    head = "| 权限 | " + " | ".join(str(r.label) for r in roles) + " |"
    lines = [
        "# 角色与权限 · Roles and capabilities",
        "",
        "Generated by `manage.py list_roles > docs/roles.md` from `pims/accounts/roles.py`",
        "(ROLE_CAPS, EXPORT_ROW_LIMITS); a test fails when this file and the table differ.",
        "",
        head,
        "|---|" + "---|" * len(roles),
    ]
    for cap in Cap:
        marks = " | ".join("✓" if cap in ROLE_CAPS.get(r, set()) else "" for r in roles)
        lines.append(f"| {cap.label} `{cap.value}` | {marks} |")
    limits = " | ".join(f"{EXPORT_ROW_LIMITS[r]:,}" if r in EXPORT_ROW_LIMITS else "—" for r in roles)
    lines.append(f"| 导出行数上限 | {limits} |")
    lines.append("")
    return "\n".join(lines)


# --- comparing access (issue 14.1) -------------------------------------------------

# Capabilities that read the register's personal data.
PERSONAL_DATA_CAPS: frozenset[str] = frozenset({Cap.VIEW_PERSONAL, Cap.UNMASK_PERSONAL, Cap.VIEW_REPRODUCTIVE})
# An account holding one of these is privileged: creating, promoting into or
# re-enabling it takes effect only when a second person approves (four-eyes).
PRIVILEGED_CAPS: frozenset[str] = PERSONAL_DATA_CAPS | {Cap.MANAGE_USERS}
# A capability that includes another when accesses are compared: an editor may
# collect; the county that accepts months stands above the township that approves
# them; who issues documents may receive the applications; the county's programme
# review stands above the township's and the village's. (A capability given to a
# township or village role must be held — or included — by the county
# administrator, who creates those accounts: pims/accounts/tests/test_privilege.py.)
CAP_INCLUDES: dict[str, frozenset[str]] = {
    Cap.EDIT_REGISTER: frozenset({Cap.COLLECT}),
    Cap.ACCEPT_PERIOD: frozenset({Cap.APPROVE_PERIOD}),
    Cap.ISSUE_DOCUMENTS: frozenset({Cap.APPLY_DOCUMENTS}),
    Cap.PROGRAMME_COUNTY: frozenset({Cap.PROGRAMME_TOWNSHIP, Cap.PROGRAMME_VILLAGE}),
}


def role_access(role: str) -> frozenset[str]:
    """The capabilities of `role`, with those they include."""
    caps = set(ROLE_CAPS.get(role, set()))
    for cap in list(caps):
        caps |= CAP_INCLUDES.get(cap, frozenset())
    return frozenset(caps)


def role_within(role: str, holder_role: str) -> bool:
    """True when `role` gives no access beyond what `holder_role` has."""
    return role_access(role) <= role_access(holder_role)


def role_reads_personal(role: str) -> bool:
    return bool(role_access(role) & PERSONAL_DATA_CAPS)


def role_is_privileged(role: str) -> bool:
    return bool(role_access(role) & PRIVILEGED_CAPS)
