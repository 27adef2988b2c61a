"""`manage.py import_police FILE`: load a police household-registry extract.

Resumable: run the same command again after an interruption (even kill -9)
and it continues from its last commit. Progress goes to stderr.

`--job PK` runs (or resumes) a job created on the import page, as the user
who started it — by hand; the page queues its imports on the task queue
(`manage.py run_worker` runs them), and a job the queue still holds is
refused here (never two runs at once). The rejected rows stay in protected storage; an
operator who needs them as a file names it with `--rejected PATH` (a copy
with plaintext ID numbers, audited as an export).
"""

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pims.integration.models import ImportJob
from pims.integration.rejected import rejected_rows_export
from pims.integration.services import ImportRefused, police_import

STAGES = {"stage": "1/3 读取校验 reading", "load": "2/3 写入登记库 loading", "check": "3/3 逻辑审核 checking"}


class ProgressLine:
    """One line on stderr, rewritten in place: stage, done/total, rate, ETA."""

    def __init__(self, stream, every: float = 0.5):
        self.stream, self.every = stream, every
        self.stage = None
        self.t0 = self.last = 0.0
        self.tty = getattr(stream, "isatty", lambda: False)()

    def __call__(self, job, stage, done, total):
        """The first call of a stage (before any work) sets the baseline."""
        now = time.perf_counter()
        if stage != self.stage:
            if self.stage is not None and self.tty:
                self.stream.write("\n")
            self.stage, self.t0, self.base, self.rows0 = stage, now, done, job.rows_total
            return
        if now - self.last < self.every and done < total:
            return
        self.last = now
        elapsed = max(now - self.t0, 1e-6)
        rate = (done - self.base) / elapsed
        if stage == "stage":
            what = f"{job.rows_total:,} rows, {(job.rows_total - self.rows0) / elapsed:,.0f} rows/s"
        elif stage == "check":
            what = f"register rules over the imported households, {elapsed:,.0f}s"
        else:
            what = f"{done:,}/{total:,} households, {rate:,.0f} households/s"
        pct = f"{100 * done / total:5.1f}%" if total else "  ?  "
        eta = f"ETA {(total - done) / rate:,.0f}s" if total and rate > 0 else ""
        end = "\r" if self.tty else "\n"
        self.stream.write(f"[{STAGES[stage]}] {pct} {what} {eta}{end}")
        self.stream.flush()

    def close(self):
        if self.stage is not None and self.tty:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Import a police household-registry extract (CSV or XLSX with Chinese headers); resumable and idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV (UTF-8 / UTF-8 with BOM / GB18030) or XLSX file")
        parser.add_argument("--mapping", help="JSON file mapping this file's headers to the canonical ones")
        parser.add_argument("--village-default", default="", help="12-digit village code for rows without one")
        parser.add_argument("--baseline-date", help="date of the baseline events (default today)")
        parser.add_argument(
            "--rejected",
            metavar="PATH",
            help="also write the rejected rows to PATH (a file or a directory): it holds plaintext ID numbers",
        )
        parser.add_argument("--again", action="store_true", help="process a file that was already imported again")
        parser.add_argument(
            "--family",
            choices=ImportJob.FamilyMode.values,
            default=ImportJob.FamilyMode.MEMBERS,
            help="when one member's row is rejected: load the household's valid members and flag the household "
            "incomplete (members, the default), or hold back the whole household (household)",
        )
        parser.add_argument("--job", type=int, help="run or resume the import job PK started on the import page")

    def handle(self, *args, file, mapping, village_default, baseline_date, rejected, again, job, family, **options):
        import datetime as dt

        if (file is None) == (job is None):
            raise CommandError("give either FILE or --job PK")
        day = None
        if baseline_date:
            try:
                day = dt.date.fromisoformat(baseline_date)
            except ValueError:
                raise CommandError(f"--baseline-date must be YYYY-MM-DD, not {baseline_date!r}") from None
        line = ProgressLine(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr)
        started = time.perf_counter()
        began = timezone.now()
        try:
            if job is not None:
                result = self._run_job(job, line, day)
            else:
                result = police_import(
                    actor=None,
                    path=file,
                    mapping=self._mapping(mapping),
                    village_default=village_default,
                    username="system:import_police",
                    baseline_date=day,
                    again=again,
                    progress=line,
                    family_mode=family,
                )
        except ImportRefused as exc:
            raise CommandError(f"未导入：{exc}") from None
        finally:
            line.close()
        self._summary(result, time.perf_counter() - started, began)
        if rejected and result.rejected_file:
            dest = rejected_rows_export(job=result, dest=rejected, username="system:import_police")
            self.stderr.write(
                f"警告：{dest} 含完整的公民身份号码（{result.rows_rejected} 行），已记入审计日志；"
                "请妥善保管，改正并重新导入后删除。\n"
                f"WARNING: {dest} holds plaintext ID numbers; keep it safe and delete it after use."
            )

    @staticmethod
    def _mapping(mapping):
        if not mapping:
            return None
        try:
            data = json.loads(Path(mapping).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"映射文件无法读取（应为 JSON 对象）：{exc}") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise CommandError('映射文件应为 JSON 对象：{"文件中的列名": "标准列名", …}')
        return data

    def _run_job(self, pk, line, day):
        """A job of the import page, run as its starter. A refusal (the file
        is gone, the user may no longer import) fails the job; any other
        error is recorded on it and the job stays resumable."""
        from pims.integration.launch import job_run, queue_job

        held = ImportJob.objects.filter(pk=pk).first()
        queued = queue_job(held) if held is not None else None
        if queued is not None and not queued.finished:
            raise CommandError(
                f"import job {pk} is on the task queue (background job {queued.pk}, {queued.state}): "
                "the worker (manage.py run_worker) continues it"
            )
        try:
            return job_run(pk, progress=line, baseline_date=day)
        except ImportJob.DoesNotExist:
            raise CommandError(f"import job {pk} does not exist") from None

    def _summary(self, job, elapsed, began):
        if job.finished_at and job.finished_at < began:
            self.stdout.write(
                f"文件已于 {job.finished_at:%Y-%m-%d %H:%M} 导入（任务 {job.pk}），未做任何改动；--again 可重新处理。"
            )
        self.stdout.write(
            f"job {job.pk}: {job.rows_total} rows — {job.rows_loaded} persons added, "
            f"{job.households_created} households added, {job.rows_present} already registered, "
            f"{job.rows_rejected} rejected ({elapsed:.1f}s, {job.rows_total / max(elapsed, 1e-6):,.0f} rows/s)"
        )
        if job.incomplete_households:
            self.stdout.write(
                f"{len(job.incomplete_households)} households incomplete (valid members loaded, others rejected)"
            )
        if job.warnings:
            self.stdout.write("warnings: " + ", ".join(f"{k}×{v}" for k, v in sorted(job.warnings.items())))
        if job.rejected_file:
            self.stdout.write(
                f"rejected rows: kept in protected storage (job {job.pk}); "
                "download them on the import page or add --rejected PATH"
            )
        if job.message:
            self.stdout.write(job.message)
