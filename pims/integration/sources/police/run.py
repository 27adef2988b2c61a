"""Police extract import (`manage.py import_police`, the import page).

Three stages, each committed in chunks together with the job's progress, so
that a run killed at any point (SIGKILL included) resumes from its last
commit — nothing lost, nothing twice:

1. **stage** — read the file row by row; map the columns; turn code names
   into codes; judge each row with the form's input rules (I01–I26 and
   H01–H03: a row none of them speaks about passes `fastpath.quick_member`,
   any other row gets `validate_household_input` and its messages), plus the
   import rules P01–P05/P09; encrypt, blind-index and mask the ID and phone
   as the form service does; number the households (village, 户号) 1..N in
   the order they first appear; write the rows to the staging table (COPY on
   PostgreSQL, executemany on SQLite). A large file's rows are judged by
   forked worker processes (`parallel.judged_chunks`). Then, in one statement, reject IDs
   that occur twice in the file (I08 within a household, P06 across
   households).
2. **load** — per chunk of households (on PostgreSQL two chunks at a time,
   each on its own connection), set-based SQL over a temporary copy
   of the chunk's staged rows: attach existing households, recognise people
   already registered (same blind index — or, without an ID, same name, sex
   and birth date — in the same household: unchanged), reject IDs registered
   elsewhere (I09) or registered here with other particulars (P10), create
   the new households (approved, as the police extract is the first source)
   and persons (INSERT … SELECT), marriages and births from the spouse/parent
   ID columns, and baseline events and spells (source: police); the rows'
   outcome goes back to the staging table in one UPDATE.
3. **check and finish** — one transaction: every register rule once over
   all the households this import added people to (`check_households` in
   set-based form, one statement per rule); a household with an error loses
   this import's rows again and they are rejected with the rule's message
   (the form is all-or-nothing per household too); the rejected-rows file;
   the job done. Until then the job's counts include rows the check may
   still reject.

Policy for bad input (docs/police-import.md): a file that cannot be read as
a whole (unknown encoding, missing columns, not CSV/XLSX, a broken XLSX)
imports nothing; everything that can be judged row by row is — good rows are
kept, every bad row goes to the rejected-rows file with its rule and message,
whatever the kind of problem.

Idempotent: people already registered are recognised, so importing the same
file again changes nothing (and a finished job for the same file content is
simply reported unless `again=True`)."""

import datetime as dt
import itertools
import os
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.integration.bulk import TableWriter, quote
from pims.integration.format import MappingError, resolve_headers, text_only_columns
from pims.integration.models import ImportJob, StagedRow
from pims.integration.parallel import judged_chunks, load_connections, pool_size
from pims.integration.pipeline.check import RegisterCheck
from pims.integration.pipeline.job import (
    LOADED,
    OK,
    PRESENT,
    REJECTED,
    ImportRefused,
    Progress,
    may_import,
    merged,
    rejected_store,
    sole_runner,
)
from pims.integration.pipeline.rejected_file import write_rejected
from pims.integration.pipeline.sql import analyze, reject, tune_session
from pims.integration.reader import (
    SourceError,
    SourceRow,
    check_readable,
    detect,
    file_sha256,
    iter_rows,
    read_header,
)
from pims.integration.sources.police import family
from pims.integration.sources.police.judge import (
    STAGE_COLUMNS,
    RowJudge,
    Village,
    duplicate_verdicts,
    numbered,
)
from pims.integration.sources.police.load import Chunk
from pims.lib import clock
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope
from pims.registry.models import Birth, Household, Marriage, Person

# Rows per stage-1 commit and households per stage-2 commit (×5 on PostgreSQL);
# the environment can lower them (the kill tests do, to get many commits).
STAGE_CHUNK_ROWS = int(os.environ.get("PIMS_IMPORT_CHUNK_ROWS", "5000"))
# Rows a stage-1 worker judges at a time (never more than a commit holds).
JUDGE_CHUNK_ROWS = 1000
LOAD_CHUNK_HOUSEHOLDS = int(os.environ.get("PIMS_IMPORT_CHUNK_HOUSEHOLDS", "1000"))


def police_import(
    *,
    actor,
    path: str | Path,
    mapping: dict | None = None,
    village_default: str = "",
    username: str = "",
    baseline_date: dt.date | None = None,
    again: bool = False,
    progress: Progress | None = None,
    family_mode: str = ImportJob.FamilyMode.MEMBERS,
) -> ImportJob:
    """Import (or resume importing) a police extract; returns the job.

    `actor` None is the command line (the whole register); a user must hold
    the import capability (Cap.IMPORT_DATA) and rows outside their region are rejected
    (P09). A job for the same file content that did not finish is resumed
    with its own settings; a finished one is returned as it is unless
    `again` (which then finds everything already registered).
    `family_mode` says what a rejected row does to the rest of its household
    (`sources.police.family`). The rejected-rows file (plaintext ID numbers) is kept in protected storage
    (`pims.integration.rejected`), never beside the source file.
    """
    if actor is not None and not may_import(actor):
        raise ImportRefused("您的角色不能导入公安户籍数据")
    path = Path(path).resolve()
    try:
        fmt, encoding = detect(path)
        check_readable(path, fmt, encoding)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    sha = file_sha256(path)
    job = ImportJob.objects.filter(kind="police", file_sha256=sha).exclude(state=ImportJob.State.FAILED).first()
    if job is not None and job.state == ImportJob.State.DONE and not again:
        return job
    if job is None or job.state == ImportJob.State.DONE:
        job = job_create(actor, path, sha, fmt, encoding, mapping or {}, village_default, username, family_mode)
    else:
        job.file_path = str(path)  # the same content may have moved
        job.save(update_fields=["file_path", "updated_at"])
    runner = Runner(job, actor, progress, baseline_date or clock.today())
    if job.state == ImportJob.State.STAGING:
        runner.stage()
    if job.state == ImportJob.State.LOADING:
        runner.load()
        runner.finish(rejected_store())
    return job


def police_import_prepare(
    *,
    actor,
    path: str | Path,
    mapping: dict | None = None,
    village_default: str = "",
    username: str = "",
    family_mode: str = ImportJob.FamilyMode.MEMBERS,
) -> ImportJob:
    """Check the file and create its job without running it (the import
    page starts the run outside the request: pims.integration.launch).
    An unfinished job for the same content is returned to be resumed if it
    is the same jurisdiction's; a finished one does not stop a new run (it
    finds everything already registered)."""
    if actor is None or not may_import(actor):
        raise ImportRefused("您的角色不能导入公安户籍数据")
    path = Path(path).resolve()
    try:
        fmt, encoding = detect(path)
        check_readable(path, fmt, encoding)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    sha = file_sha256(path)
    running = ImportJob.objects.filter(
        kind="police", file_sha256=sha, state__in=[ImportJob.State.STAGING, ImportJob.State.LOADING]
    ).first()
    if running is not None:
        if running.region_code != getattr(actor.region, "code", None):
            raise ImportRefused("同一文件正在由其他单位导入，请待其完成后再试")
        return running
    return job_create(actor, path, sha, fmt, encoding, mapping or {}, village_default, username, family_mode)


def job_create(
    actor, path, sha, fmt, encoding, mapping, village_default, username, family_mode=ImportJob.FamilyMode.MEMBERS
) -> ImportJob:
    if family_mode not in ImportJob.FamilyMode.values:
        raise ImportRefused(f"未知的户处理方式“{family_mode}”（可选：{'、'.join(ImportJob.FamilyMode.values)}）")
    header = checked_header(path, fmt, encoding, mapping)
    if village_default:
        region = Region.objects.filter(code=village_default, level=Level.VILLAGE, valid_to__isnull=True).first()
        if region is None or (actor is not None and not code_in_scope(actor, region.code)):
            raise ImportRefused(f"默认村级区划 {village_default} 不存在或不在您的辖区内")
    elif "village_code" not in header:
        raise ImportRefused("文件没有“村(居)委会代码”列：请用 --village-default 指定这些人员所在的村")
    with transaction.atomic():
        job = ImportJob.objects.create(
            file_name=path.name,
            file_path=str(path),
            file_sha256=sha,
            file_size=path.stat().st_size,
            file_format=fmt,
            encoding=encoding,
            mapping=mapping,
            village_default=village_default,
            region_code=getattr(getattr(actor, "region", None), "code", "") if actor is not None else "",
            actor=actor,
            username=username,
            family_mode=family_mode,
        )
        audit_record(
            actor=actor,
            username=username,
            action=Action.LOAD,
            obj=job,
            region_code=job.region_code,
            detail={"what": "police_import_start", "file": path.name, "sha256": sha, "family_mode": family_mode},
        )
    return job


def checked_header(path, fmt, encoding, mapping) -> dict[str, int]:
    try:
        return resolve_headers(read_header(path, fmt, encoding), mapping)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    except MappingError as exc:
        raise ImportRefused(f"表头不符合要求：{exc}") from None


class Runner:
    def __init__(self, job: ImportJob, actor, progress: Progress | None, baseline_date: dt.date):
        self.job, self.actor, self.progress = job, actor, progress
        self.baseline_date = baseline_date
        self.path = Path(job.file_path)
        self.table = quote(StagedRow._meta.db_table)
        self.started = time.perf_counter()

    def _tick(self, stage: str, done: float, total: float) -> None:
        if self.progress:
            self.progress(self.job, stage, done, total)

    # -- stage 1 ----------------------------------------------------------------

    def stage(self) -> None:
        job = self.job
        columns = checked_header(self.path, job.file_format, job.encoding, job.mapping)
        villages = {
            code: Village(pk, code, name)
            for pk, code, name in Region.objects.filter(level=Level.VILLAGE, valid_to__isnull=True).values_list(
                "pk", "code", "name"
            )
        }
        judge = RowJudge(job, columns, villages, self.actor)
        households = self._household_keys()
        writer = TableWriter(StagedRow, STAGE_COLUMNS)
        rows = iter_rows(
            self.path,
            job.file_format,
            job.encoding,
            text_only=text_only_columns(columns),
            start_line=job.staged_lines,
            start_offset=job.staged_offset,
        )
        next(rows)  # the header
        batch: list[tuple] = []
        last: SourceRow | None = None
        self._tick("stage", job.staged_offset if job.file_format == "csv" else job.staged_lines, 0)
        workers = pool_size(job.file_size - job.staged_offset)
        try:
            for sources, staged, warnings in judged_chunks(
                rows, judge, size=min(JUDGE_CHUNK_ROWS, STAGE_CHUNK_ROWS), workers=workers
            ):
                batch += numbered(staged, households)
                judge.warnings.update(warnings)
                last = sources[-1]
                if len(batch) >= STAGE_CHUNK_ROWS:
                    self._stage_commit(writer, batch, last, judge)
                    batch = []
        except SourceError as exc:
            # An XLSX that breaks off: what was read is kept, the rest cannot be judged.
            if batch and last is not None:  # a batch has a last row
                self._stage_commit(writer, batch, last, judge)
            job.message = str(exc)
            job.save(update_fields=["message", "updated_at"])
        if batch and last is not None:
            self._stage_commit(writer, batch, last, judge)
        self._stage_close()

    def _household_keys(self) -> dict[tuple[str, str], int]:
        """(village code, 户号) → household key 1..N of the rows staged so far
        (a resumed stage 1 goes on numbering where it stopped)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT village_code, number, MIN(hh_key) FROM {self.table} WHERE job_id = %s "  # noqa: S608
                f"AND hh_key IS NOT NULL GROUP BY village_code, number",
                [self.job.pk],
            )
            return {(code, number): key for code, number, key in cursor.fetchall()}

    def _stage_commit(self, writer, batch, last: SourceRow, judge) -> None:
        job = self.job
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.staged_lines != job.staged_lines:
                raise RuntimeError("另一个进程正在执行同一导入任务")
            tune_session()
            writer.write(batch)
            job.staged_lines, job.staged_offset = last.line, last.end
            job.rows_total += len(batch)
            job.rows_rejected += sum(1 for r in batch if r[2] == REJECTED)
            job.warnings = merged(job.warnings, judge.take_warnings())
            job.save(
                update_fields=["staged_lines", "staged_offset", "rows_total", "rows_rejected", "warnings", "updated_at"]
            )
        # Progress of a CSV in bytes; of an XLSX in rows, total unknown (0).
        self._tick("stage", last.end or last.line, job.file_size if last.end else 0)

    def _stage_close(self) -> None:
        """Duplicate IDs within the file (the households were numbered while
        reading, in the order they first appear); one commit."""
        job, t = self.job, self.table
        with transaction.atomic():
            tune_session()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id_index FROM {t} WHERE job_id = %s AND state = %s AND id_index IS NOT NULL "  # noqa: S608
                    f"GROUP BY id_index HAVING COUNT(*) > 1",
                    [job.pk, OK],
                )
                dup = [r[0] for r in cursor.fetchall()]
                rejected = []
                for i in range(0, len(dup), 500):
                    part = dup[i : i + 500]
                    cursor.execute(
                        f"SELECT id, line, village_code, number, id_index FROM {t} "  # noqa: S608
                        f"WHERE job_id = %s AND id_index IN ({', '.join(['%s'] * len(part))}) ORDER BY line",
                        [job.pk, *part],
                    )
                    groups = defaultdict(list)
                    for row in cursor.fetchall():
                        groups[row[4]].append(row)
                    for rows in groups.values():
                        rejected += duplicate_verdicts(rows)
                reject(cursor, t, rejected, unkey=True)
                held = family.hold_back_staged(cursor, t, job) if family.holds_back(job) else 0
                cursor.execute(f"SELECT MAX(hh_key) FROM {t} WHERE job_id = %s", [job.pk])  # noqa: S608
                job.households_total = cursor.fetchone()[0] or 0
            job.rows_rejected += len(rejected) + held
            job.state = ImportJob.State.LOADING
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {t} (job_id, hh_key, state)")
            job.save(update_fields=["households_total", "rows_rejected", "state", "updated_at"])

    # -- stage 2 ----------------------------------------------------------------

    def load(self) -> None:
        """Stage 2 over the households that still have rows to load, chunk
        by chunk; on PostgreSQL several chunks at once on their own
        connections (`parallel.load_connections`). A chunk is one
        transaction that leaves none of its rows in state OK, so what is
        left after a kill is exactly the chunks still to do, whatever order
        the others committed in."""
        job = self.job
        size = LOAD_CHUNK_HOUSEHOLDS * (5 if connection.vendor == "postgresql" else 1)
        with sole_runner(job):
            ranges = self._pending(size)
            # Households with nothing left to load count as done.
            job.loaded_through = job.households_total - sum(last - first + 1 for first, last in ranges)
            job.save(update_fields=["loaded_through", "updated_at"])
            self._tick("load", job.loaded_through, job.households_total)
            done = job.loaded_through
            threads = load_connections() if len(ranges) > 1 and not connection.in_atomic_block else 1
            for n, (first, last) in enumerate(self._run_chunks(ranges, threads)):
                done += last - first + 1
                self._tick("load", done, job.households_total)
                if n % 4 == 0:
                    # Every few chunks the planner learns that the register grew.
                    analyze([Household, Person, Marriage, Birth], joins_only=True)
        job.refresh_from_db()

    def _pending(self, size: int) -> list[tuple[int, int]]:
        """Ranges of household keys, `size` wide, with rows still to load."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT (hh_key - 1) / %s FROM {self.table} WHERE job_id = %s AND state = %s "  # noqa: S608
                f"AND hh_key IS NOT NULL",
                [size, self.job.pk, OK],
            )
            chunks = sorted(r[0] for r in cursor.fetchall())
        total = self.job.households_total
        return [(k * size + 1, min(total, (k + 1) * size)) for k in chunks]

    def _run_chunks(self, ranges, threads: int):
        """Load the ranges; yield each once committed. With threads, at most
        `threads` chunks are in flight and the next starts only when one has
        been yielded, so a failure (or the caller stopping) ends the run
        after the chunks already running."""
        if threads < 2:
            for first, last in ranges:
                self._load_chunk(first, last)
                yield first, last
            return
        todo = iter(ranges)
        with ThreadPoolExecutor(threads, thread_name_prefix="pims-import-load") as pool:
            running = {}
            for first, last in itertools.islice(todo, threads):
                running[pool.submit(self._load_chunk_on_own_connection, first, last)] = (first, last)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # a chunk's error ends the run here
                    yield running.pop(future)
                    for first, last in itertools.islice(todo, 1):
                        running[pool.submit(self._load_chunk_on_own_connection, first, last)] = (first, last)

    def _load_chunk_on_own_connection(self, first: int, last: int) -> None:
        try:
            self._load_chunk(first, last)
        finally:
            connection.close()  # this thread's own connection

    def _load_chunk(self, first: int, last: int) -> None:
        with transaction.atomic():
            tune_session()
            counts = Chunk(self, first, last).run()
            if connection.vendor == "postgresql":
                # The deferred foreign-key checks now, before the job's row is
                # locked: concurrent chunks then wait for each other only
                # for the short update below.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            ImportJob.objects.filter(pk=self.job.pk).update(
                loaded_through=F("loaded_through") + (last - first + 1),
                rows_loaded=F("rows_loaded") + counts[LOADED],
                rows_present=F("rows_present") + counts[PRESENT],
                rows_rejected=F("rows_rejected") + counts[REJECTED],
                households_created=F("households_created") + counts["households"],
                updated_at=timezone.now(),
            )

    # -- the end ------------------------------------------------------------------

    def finish(self, rejected_dir: Path) -> None:
        """Stage 3, one transaction: the register rules once over every
        household this import added people to (a household with an error
        loses this import's rows again, which are rejected), the
        rejected-rows file, and the job done. Killed before its commit, it
        simply runs again."""
        job, t = self.job, self.table
        self._tick("check", 0, 1)
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.state != ImportJob.State.LOADING:
                raise RuntimeError("另一个进程正在执行同一导入任务")
            tune_session(wait_for_disk=True)
            analyze([Household, Person, Marriage, Birth])
            RegisterCheck(self.job, self.table).run()
            family.finish_family(job, t)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT line, rule_ids, reasons FROM {t} WHERE job_id = %s AND state = %s ORDER BY line",  # noqa: S608
                    [job.pk, REJECTED],
                )
                rejected = {line: (rules, reasons) for line, rules, reasons in cursor.fetchall()}
            out = ""
            if rejected:
                out = str(write_rejected(job, self.path, rejected, rejected_dir))
            StagedRow.objects.filter(job=job).delete()  # the register holds the data now
            job.state = ImportJob.State.DONE
            job.rejected_file = out
            job.finished_at = timezone.now()
            job.save(
                update_fields=[
                    "state",
                    "rejected_file",
                    "finished_at",
                    "rows_loaded",
                    "rows_rejected",
                    "households_created",
                    "warnings",
                    "incomplete_households",
                    "updated_at",
                ]
            )
            audit_record(
                actor=self.actor,
                username=job.username,
                action=Action.LOAD,
                obj=job,
                region_code=job.region_code,
                detail={
                    "what": "police_import_done",
                    "rows": job.rows_total,
                    "loaded": job.rows_loaded,
                    "present": job.rows_present,
                    "rejected": job.rows_rejected,
                    "households_created": job.households_created,
                    "family_mode": job.family_mode,
                    "incomplete_households": len(job.incomplete_households),
                },
            )
        self._tick("check", 1, 1)
