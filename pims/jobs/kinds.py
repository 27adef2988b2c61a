"""The registry of job kinds: one table, one row per kind of background work.

A kind names the function that does the work (a dotted path, imported when
a job of the kind runs, so that this table imports no app), its title for
the pages, and its retry policy. The function is called as
`run(ctx, **job.args)` with a `pims.jobs.services.JobContext`; it reports
progress through `ctx.progress(...)`, raises `pims.jobs.errors.JobRefused`
for a failure that no retry can cure, and returns a JSON-able result or None.

**Every kind must be resumable**: a job may be stopped at any point (the
worker stopped, killed, the machine lost) and is then run again from the
start of its function, so the function must continue from what is already
committed and never do anything twice (the police import commits each
chunk with its progress and finds its place again).

To add a kind: write its function in the owning app (e.g. `tasks.py`), add a
row here, and start it with `pims.jobs.services.job_enqueue(kind=..., ...)`.
"""

from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from pims.lib.errors import Failure


@dataclass(frozen=True)
class Kind:
    name: str
    title: str | Promise
    run: str  # dotted path of the function
    # Starts that may end in an error or a lost worker before the job fails
    # for good; and the wait before the next start after the n-th failure (the
    # last delay repeats). A lost worker is retried at once.
    max_failures: int = 3
    retry_delays: tuple[int, ...] = (30, 120, 600)

    @cached_property
    def function(self):
        return import_string(self.run)

    def retry_delay(self, failures: int) -> int:
        return self.retry_delays[min(failures, len(self.retry_delays)) - 1] if self.retry_delays else 0


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("police_import", _("公安户籍数据导入"), "pims.integration.tasks.police_import_job", max_failures=5),
        Kind("bundle_export", _("导出上报数据包"), "pims.bundles.tasks.bundle_export_job"),
        Kind("programme_candidates", _("扶助对象资格判定"), "pims.programmes.services.candidates_job"),
        Kind("civil_import", _("民政婚姻登记导入"), "pims.integration.tasks.civil_import_job", max_failures=5),
        Kind("health_import", _("卫健出生医学证明导入"), "pims.integration.tasks.health_import_job", max_failures=5),
        Kind(
            "police_changes_import",
            _("公安户口变动导入"),
            "pims.integration.tasks.police_changes_import_job",
            max_failures=5,
        ),
        Kind("audit_verify", _("审计链验证"), "pims.audit.tasks.audit_verify_job", max_failures=2),
        Kind("register_duplicates", _("查找登记库重复人员"), "pims.integration.tasks.register_duplicates_job"),
        Kind("historic_import", _("历史证件导入"), "pims.documents.tasks.historic_import_job", max_failures=5),
    )
}


class UnknownKind(Failure):
    """A job of a kind this table does not have (a programming error)."""


def kind_get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown job kind {name!r}; register it in pims/jobs/kinds.py") from None
