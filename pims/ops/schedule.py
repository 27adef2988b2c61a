"""The scheduled jobs: one table for the systemd timers in deploy/systemd/
(a test checks they agree), `manage.py run_job NAME` (which records each run)
and the 定时任务 page of system management."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Job:
    name: str
    title: str | Promise
    command: tuple[str, ...]
    on_calendar: str  # systemd OnCalendar=
    schedule: str | Promise  # the same, for people


JOBS = (
    Job("backup", _("数据库和文件备份"), ("backup",), "*-*-* 02:00:00", _("每天 02:00")),
    Job("audit-verify", _("审计链验证"), ("audit_verify",), "*-*-* 03:00:00", _("每天 03:00")),
    Job("audit-anchor", _("审计链锚点"), ("audit_anchor",), "*:0/15", _("每 15 分钟")),
    Job("audit-archive", _("审计日志归档（超过保留期）"), ("audit_archive",), "*-*-01 04:00:00", _("每月 1 日 04:00")),
    Job("clearsessions", _("清理过期会话"), ("clearsessions",), "*-*-* 04:30:00", _("每天 04:30")),
    Job(
        "purge-rejected-rows",
        _("删除过期的导入退回文件"),
        ("purge_rejected_rows",),
        "*-*-* 04:45:00",
        _("每天 04:45"),
    ),
)
JOB_BY_NAME = {job.name: job for job in JOBS}
