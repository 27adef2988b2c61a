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
simply reported unless `again=True`).
"""

import datetime as dt
import itertools
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.models import Event, EventType, Spell
from pims.events.periods import period_of
from pims.events.spell_attrs import PERSON_ATTRS
from pims.lib import citizen_id as cid
from pims.lib import clock, crypto, spreadsheet
from pims.lib.citizen_id import mask_citizen_id
from pims.lib.errors import Invalid
from pims.lib.identity import new_uuid_sql
from pims.regions.models import Level, Region
from pims.regions.scope import code_in_scope, user_prefix
from pims.registry.checks.base import Severity, violation
from pims.registry.checks.input_rules import FIELD_LABELS, CodeBook, validate_household_input
from pims.registry.checks.register_rules import set_based
from pims.registry.checks.runner import check_households
from pims.registry.models import Birth, FormState, Household, Marriage, Person

from .bulk import TableWriter, adapt_value, fresh_per_row, quote
from .fastpath import quick_member
from .format import BY_KEY, MappingError, Normaliser, normalise_date, resolve_headers, text_only_columns
from .models import ImportJob, StagedRow
from .parallel import judged_chunks, load_connections, pool_size
from .personal import name_pinyin, phone_stored
from .reader import SourceError, SourceRow, detect, file_sha256, iter_rows, original_lines, read_header

# Rows per stage-1 commit and households per stage-2 commit (×5 on PostgreSQL);
# the environment can lower them (the kill tests do, to get many commits).
STAGE_CHUNK_ROWS = int(os.environ.get("PIMS_IMPORT_CHUNK_ROWS", "5000"))
# Rows a stage-1 worker judges at a time (never more than a commit holds).
JUDGE_CHUNK_ROWS = 1000
LOAD_CHUNK_HOUSEHOLDS = int(os.environ.get("PIMS_IMPORT_CHUNK_HOUSEHOLDS", "1000"))
OK, REJECTED, LOADED, PRESENT = "ok", "rejected", "loaded", "present"
ADVISORY_LOCK_CLASS = 0x504D  # pg_advisory_lock(class, job id): one loader per job
LINK_KEYS = ("spouse_id", "mother_id", "father_id")

STAGE_COLUMNS = [
    "job_id", "line", "state", "reasons", "rule_ids", "village_id", "village_code", "number", "hh_type", "address",
    "name", "name_pinyin", "name_initials", "id_cipher", "id_index", "id_masked", "id_sex", "id_birth_date",
    "no_id_reason", "sex", "birth_date", "ethnicity", "education", "occupation", "marital_status", "relationship",
    "hukou_type", "registered_code", "residence_code", "residence_status", "phone_cipher", "phone_index",
    "phone_masked", "spouse_index", "mother_index", "father_index", "hh_key",
]  # fmt: skip

# A rejected row keeps only its line and reasons: every other column empty.
REJECTED_TAIL = tuple(None if StagedRow._meta.get_field(c).null else "" for c in STAGE_COLUMNS[5:])

Progress = Callable[[ImportJob, str, float, float], None]


class ImportRefused(Invalid):
    """The import cannot start (file, mapping or permission); nothing was imported."""


def may_import(user) -> bool:
    return has_capability(user, Cap.IMPORT_DATA)


# ---------------------------------------------------------------------------
# Entry point


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
) -> ImportJob:
    """Import (or resume importing) a police extract; returns the job.

    `actor` None is the command line (the whole register); a user must hold
    the import capability (Cap.IMPORT_DATA) and rows outside their region are rejected
    (P09). A job for the same file content that did not finish is resumed
    with its own settings; a finished one is returned as it is unless
    `again` (which then finds everything already registered). The
    rejected-rows file (plaintext ID numbers) is kept in protected storage
    (`pims.integration.rejected`), never beside the source file.
    """
    if actor is not None and not may_import(actor):
        raise ImportRefused("您的角色不能导入公安户籍数据")
    path = Path(path).resolve()
    try:
        fmt, encoding = detect(path)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    sha = file_sha256(path)
    job = ImportJob.objects.filter(kind="police", file_sha256=sha).exclude(state=ImportJob.State.FAILED).first()
    if job is not None and job.state == ImportJob.State.DONE and not again:
        return job
    if job is None or job.state == ImportJob.State.DONE:
        job = _job_create(actor, path, sha, fmt, encoding, mapping or {}, village_default, username)
    else:
        job.file_path = str(path)  # the same content may have moved
        job.save(update_fields=["file_path", "updated_at"])
    runner = _Runner(job, actor, progress, baseline_date or clock.today())
    if job.state == ImportJob.State.STAGING:
        runner.stage()
    if job.state == ImportJob.State.LOADING:
        runner.load()
        runner.finish(rejected_store())
    return job


def police_import_prepare(
    *, actor, path: str | Path, mapping: dict | None = None, village_default: str = "", username: str = ""
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
    return _job_create(actor, path, sha, fmt, encoding, mapping or {}, village_default, username)


def _job_create(actor, path, sha, fmt, encoding, mapping, village_default, username) -> ImportJob:
    header = _checked_header(path, fmt, encoding, mapping)
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
        )
        audit_record(
            actor=actor,
            username=username,
            action=Action.LOAD,
            obj=job,
            region_code=job.region_code,
            detail={"what": "police_import_start", "file": path.name, "sha256": sha},
        )
    return job


def _checked_header(path, fmt, encoding, mapping) -> dict[str, int]:
    try:
        return resolve_headers(read_header(path, fmt, encoding), mapping)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    except MappingError as exc:
        raise ImportRefused(f"表头不符合要求：{exc}") from None


# ---------------------------------------------------------------------------


@dataclass
class _Village:
    pk: int
    code: str
    name: str


class _Runner:
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
        columns = _checked_header(self.path, job.file_format, job.encoding, job.mapping)
        villages = {
            code: _Village(pk, code, name)
            for pk, code, name in Region.objects.filter(level=Level.VILLAGE, valid_to__isnull=True).values_list(
                "pk", "code", "name"
            )
        }
        judge = _RowJudge(job, columns, villages, self.actor)
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
                batch += _numbered(staged, households)
                judge.warnings.update(warnings)
                last = sources[-1]
                if len(batch) >= STAGE_CHUNK_ROWS:
                    self._stage_commit(writer, batch, last, judge)
                    batch = []
        except SourceError as exc:
            # An XLSX that breaks off: what was read is kept, the rest cannot be judged.
            if batch:
                self._stage_commit(writer, batch, last, judge)
            job.message = str(exc)
            job.save(update_fields=["message", "updated_at"])
        if batch:
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
            _tune_session()
            writer.write(batch)
            job.staged_lines, job.staged_offset = last.line, last.end
            job.rows_total += len(batch)
            job.rows_rejected += sum(1 for r in batch if r[2] == REJECTED)
            job.warnings = _merged(job.warnings, judge.take_warnings())
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
            _tune_session()
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
                        rejected += _duplicate_verdicts(rows)
                _reject(cursor, t, rejected, unkey=True)
                cursor.execute(f"SELECT MAX(hh_key) FROM {t} WHERE job_id = %s", [job.pk])  # noqa: S608
                job.households_total = cursor.fetchone()[0] or 0
            job.rows_rejected += len(rejected)
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
        with _sole_runner(job):
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
                    _analyze([Household, Person, Marriage, Birth], joins_only=True)
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
            _tune_session()
            counts = _Chunk(self, first, last).run()
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
            _tune_session(wait_for_disk=True)
            _analyze([Household, Person, Marriage, Birth])
            _RegisterCheck(self).run()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT line, rule_ids, reasons FROM {t} WHERE job_id = %s AND state = %s ORDER BY line",  # noqa: S608
                    [job.pk, REJECTED],
                )
                rejected = {line: (rules, reasons) for line, rules, reasons in cursor.fetchall()}
            out = ""
            if rejected:
                out = str(_write_rejected(job, self.path, rejected, rejected_dir))
            StagedRow.objects.filter(job=job).delete()  # the register holds the data now
            job.state = ImportJob.State.DONE
            job.rejected_file = out
            job.finished_at = timezone.now()
            job.save(
                update_fields=[
                    "state", "rejected_file", "finished_at", "rows_loaded", "rows_rejected", "households_created",
                    "warnings", "updated_at",
                ]
            )  # fmt: skip
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
                },
            )
        self._tick("check", 1, 1)


@contextmanager
def _sole_runner(job: ImportJob):
    """One process at a time loads a job (PostgreSQL: a session advisory
    lock, released when the process ends, however it ends). On SQLite the
    database lock serialises the chunks, and a chunk finds no rows left to
    load when another run did it first."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, job.pk])
        if not cursor.fetchone()[0]:
            raise RuntimeError("另一个进程正在执行同一导入任务")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_CLASS, job.pk])


def _tune_session(*, wait_for_disk: bool = False) -> None:
    """For this transaction only (PostgreSQL): no JIT — it compiles each
    stage-2 statement and register rule for ~0.1 s, longer than most then
    run — and enough work memory for the chunk's hash joins.

    A chunk's commit does not wait for its WAL to reach the disk
    (`synchronous_commit = off`): a server crash can lose only the last
    commits, each whole — the data together with the job's progress — and the
    next run redoes them; nothing is half applied. The last transaction
    (the check and the end of the job) waits as usual."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            if not wait_for_disk:
                cursor.execute("SET LOCAL synchronous_commit = off")


def _analyze(models, *, joins_only: bool = False) -> None:
    """Fresh planner statistics (PostgreSQL): tables this import grows would
    otherwise look empty to the planner, which then picks nested scans.
    Between chunks only the columns stage 2 joins on are needed (cheaper)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            columns = JOIN_COLUMNS.get(model._meta.db_table) if joins_only else None
            listed = f" ({', '.join(quote(c) for c in columns)})" if columns else ""
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}{listed}")


JOIN_COLUMNS = {
    Person._meta.db_table: ["id", "household_id", "id_index", "row", "name", "sex", "birth_date"],
    Household._meta.db_table: ["id", "village_id", "number"],
    Marriage._meta.db_table: ["husband_id", "wife_id"],
    Birth._meta.db_table: ["child_id"],
}


def _merged(a: dict, b: Counter) -> dict:
    out = dict(a or {})
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


def _duplicate_verdicts(rows) -> list[tuple[int, str, str]]:
    """(staged id, rule ids, reasons) for the occurrences of one ID: within
    one household the repeats are I08; across households all are P06."""
    households = {(r[2], r[3]) for r in rows}
    if len(households) == 1:
        first = rows[0][1]
        return [(r[0], "I08", violation("I08", row=r[1], other=first).message) for r in rows[1:]]
    lines = "、".join(str(r[1]) for r in rows)
    return [(r[0], "P06", violation("P06", row=r[1], lines=lines).message) for r in rows]


def _reject(cursor, table: str, verdicts: list[tuple[int, str, str]], unkey: bool = False) -> None:
    """Rows rejected with their rules and messages; `unkey` takes them out of
    their household's key range too (before stage 2 counts the range)."""
    if verdicts:
        also = ", hh_key = NULL" if unkey else ""
        cursor.executemany(
            f"UPDATE {table} SET state = %s, rule_ids = %s, reasons = %s{also} WHERE id = %s",  # noqa: S608
            [(REJECTED, rules, reasons, sid) for sid, rules, reasons in verdicts],
        )


# ---------------------------------------------------------------------------
# Stage 1: one row


class _RowJudge:
    # Parsed IDs kept for the spouse/parent columns of nearby rows (a
    # household's members are usually next to each other); bounded.
    ID_CACHE = 20_000

    def __init__(self, job: ImportJob, columns: dict[str, int], villages: dict[str, _Village], actor):
        self.job, self.columns, self.villages, self.actor = job, columns, villages, actor
        # Everything judging reads is loaded here, before stage 1 may fork
        # its workers (pims.integration.parallel): the user's region too.
        user_prefix(actor)
        self.codes = CodeBook()
        self.normaliser = Normaliser()
        self.warnings: Counter = Counter()
        self.ids: dict[str, cid.CitizenId | cid.CitizenIdError] = {}
        self.indexes: dict[str, str] = {}
        tables = Normaliser.TABLES
        self.coded = [(key, i, key in tables) for key, i in columns.items()]

    def take_warnings(self) -> Counter:
        w, self.warnings = self.warnings, Counter()
        return w

    def _rejected(self, line: int, found: list) -> tuple:
        rules = ",".join(dict.fromkeys(v.rule_id for v in found))
        reasons = "；".join(_with_line(v.message, line) for v in found)
        return (self.job.pk, line, REJECTED, reasons[:4000], rules[:200]) + REJECTED_TAIL

    def parse_id(self, raw: str) -> cid.CitizenId:
        """`citizen_id.parse`, remembered for the link columns."""
        hit = self.ids.get(raw)
        if hit is None:
            try:
                hit = cid.parse(raw)
            except cid.CitizenIdError as exc:
                hit = exc
            if len(self.ids) >= self.ID_CACHE:
                self.ids.clear()
            self.ids[raw] = hit
        if isinstance(hit, cid.CitizenIdError):
            raise hit
        return hit

    def index(self, number: str) -> str:
        hit = self.indexes.get(number)
        if hit is None:
            if len(self.indexes) >= self.ID_CACHE:
                self.indexes.clear()
            hit = self.indexes[number] = _index(number)
        return hit

    def stage_row(self, source: SourceRow) -> tuple:
        """The row as staged; an accepted row ends with its household's
        identity (village code, 户号), which `_numbered` turns into the
        household's key — numbering needs every earlier row, judging does not."""
        line = source.line
        if source.problem is not None:
            return self._rejected(line, [source.problem])
        cells, width, norm = source.cells, len(source.cells), self.normaliser.code
        raw = {}
        for key, i, coded in self.coded:
            value = cells[i] if i < width else ""
            value = value.strip()
            raw[key] = norm(key, value) if coded else value
        raw["birth_date"] = normalise_date(raw.get("birth_date", ""))
        found = []
        village_code = raw.get("village_code") or self.job.village_default
        village = self.villages.get(village_code)
        if not village_code:
            found.append(violation("P04", row=line))
        elif village is None:
            found.append(violation("I20", row=line, field="village_code", label="村(居)委会代码", value=village_code))
        elif self.actor is not None and not code_in_scope(self.actor, village_code):
            found.append(violation("P09", row=line, value=village_code))
        hukou = raw.get("hukou_type", "")
        hh_type = raw.get("hh_type") or ("2" if hukou in ("3", "4") else "1")
        data = {"number": raw.get("number", ""), "hh_type": hh_type, "address": raw.get("address", ""),
                "collected_on": ""}  # fmt: skip
        member = {
            k: raw.get(k, "")
            for k in ("name", "sex", "birth_date", "citizen_id", "no_id_reason", "ethnicity", "education",
                      "occupation", "marital_status", "relationship", "hukou_type", "residence_status", "phone")
        }  # fmt: skip
        member["row"] = line
        # The fast path waves through a row no input rule speaks about; any
        # other row gets the full rules, with their messages.
        c = quick_member(data, member, self.codes, self.parse_id) if village is not None else None
        if c is None:
            violations, cleaned = validate_household_input(data, [member], village=village, codes=self.codes)
            found += violations
            c = cleaned[0]
        codes = {}
        for f in ("registered_code", "residence_code"):
            value = raw.get(f, "")
            if value and value not in self.villages:
                found.append(violation("I20", row=line, field=f, label=FIELD_LABELS[f], value=value))
            codes[f] = value
        links = {}
        for key in LINK_KEYS:
            value = raw.get(key, "")
            links[key] = ""
            if not value:
                continue
            try:
                links[key] = self.index(self.parse_id(value).number)
            except cid.CitizenIdError as exc:
                found.append(
                    violation("P05", row=line, field=key, label=BY_KEY[key].header, value=value, reason=str(exc))
                )
        if found:
            errors = [v for v in found if v.severity == Severity.ERROR]
            if errors:
                return self._rejected(line, errors)
            for v in found:
                self.warnings[v.rule_id] += 1
        registered = codes["registered_code"] or village.code
        residence = codes["residence_code"] or village.code
        number = c["citizen_id"]
        if number:
            id_cipher, id_index, id_masked = (
                crypto.encrypt(number, aad=b"citizen_id"), self.index(number), mask_citizen_id(number)
            )  # fmt: skip
        else:
            id_cipher, id_index, id_masked = "", None, ""
        phone_cipher, phone_idx, phone_masked = phone_stored(c["phone"])
        pinyin, initials = name_pinyin(c["name"])
        hh_number = data["number"].strip()
        return (
            self.job.pk, line, OK, "", "", village.pk, village.code, hh_number, hh_type,
            data["address"].strip(), c["name"], pinyin, initials, id_cipher, id_index, id_masked,
            c.get("id_sex", "") if number else "", c.get("id_birth_date") if number else None, c["no_id_reason"],
            c["sex"], c["birth_date"], c["ethnicity"], c["education"], c["occupation"], c["marital_status"],
            c["relationship"], c["hukou_type"], registered, residence, c["residence_status"], phone_cipher,
            phone_idx, phone_masked, links["spouse_id"], links["mother_id"], links["father_id"],
            (village.code, hh_number),
        )  # fmt: skip


def _numbered(staged: list[tuple], households: dict[tuple[str, str], int]) -> list[tuple]:
    """Accepted rows get their household's key 1..N, in the order the
    households first appear in the file (`households` carries on across
    chunks and, on resumption, from the rows staged before)."""
    out = []
    for row in staged:
        if row[2] == OK:
            row = row[:-1] + (households.setdefault(row[-1], len(households) + 1),)
        out.append(row)
    return out


def _with_line(message: str, line: int) -> str:
    """Household-level messages (H01–H03) name no line: add the file's."""
    if LINE_RE.search(message):
        return message
    tag, _, rest = message.partition("] ")
    return f"{tag}] 第 {line} 行：{rest}" if rest else f"第 {line} 行：{message}"


def _index(number: str) -> str:
    from pims.registry.services import citizen_id_index

    return citizen_id_index(number)


# ---------------------------------------------------------------------------
# Stage 2: one chunk of households, set-based


def insert_select(model, exprs: dict[str, object], from_sql: str, params: list, returning: str = ""):
    """INSERT INTO model's table (every column but the id) SELECT exprs …
    `exprs` maps a column to SQL text or to ("SQL with %s", [params]);
    unnamed columns get the field's default as a parameter — the travelling
    records' `uuid` a fresh one per row, made by the database."""
    cols, select, select_params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(quote(f.column))
        expr = exprs.get(f.column)
        if expr is None and fresh_per_row(f):
            select.append(new_uuid_sql(connection.vendor))
        elif expr is None:
            from .bulk import _default

            select.append("%s")
            select_params.append(adapt_value(_default(f)))
        elif isinstance(expr, tuple):
            select.append(expr[0])
            select_params += expr[1]
        else:
            select.append(expr)
    unknown = set(exprs) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model._meta.db_table} has no columns {sorted(unknown)}")
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(cols)}) SELECT {', '.join(select)} {from_sql}"
    if returning:
        sql += f" RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, select_params + params)
        return cursor.fetchall() if returning else max(cursor.rowcount, 0)


LINE_RE = re.compile(r"第 (\d+) 行")
ROW = quote("row")


CHUNK_TABLE = "pims_import_chunk"


class _Chunk:
    """One chunk of households. Its staged rows are first copied into a
    temporary table (not WAL-logged, no indexes but one): the statements
    below update every row several times (household, row number, person,
    state), which on the wide, indexed staging table cost more than the
    inserts into the register. The rows' outcome goes back to the staging
    table in one UPDATE at the end, in the same transaction."""

    def __init__(self, runner: _Runner, first: int, last: int):
        self.runner, self.job = runner, runner.job
        self.staging = runner.table
        self.t = CHUNK_TABLE
        self.first, self.last = first, last
        self.where = "st.job_id = %s AND st.hh_key BETWEEN %s AND %s"
        self.wp = [self.job.pk, first, last]
        moment = timezone.now()
        self.now = adapt_value(moment)
        self.period = period_of(timezone.localdate(moment))
        self.actor_id = getattr(runner.actor, "pk", None)
        self.P = quote(Person._meta.db_table)
        self.H = quote(Household._meta.db_table)

    def _exec(self, cursor, sql, params=()):
        cursor.execute(sql, list(params))
        return cursor

    def run(self) -> Counter:
        t, w, wp = self.t, self.where, self.wp
        with connection.cursor() as cur:
            self._copy_in(cur)
            self._attach_households(cur)
            existing = {r[0] for r in self._exec(cur, f"SELECT DISTINCT st.household_id FROM {t} AS st WHERE {w} "  # noqa: S608
                                                 f"AND st.state = %s AND st.household_id IS NOT NULL", [*wp, OK])}  # fmt: skip
            self._not_approved(cur)
            self._present(cur)
            self._conflicts(cur)
            self._create_households(cur)
            self._number_rows(cur)
            self._insert_persons(cur)
            self._family(cur)
            self._heads(cur)
            self._baseline(cur)
            counts = Counter(dict(self._exec(cur, f"SELECT st.state, COUNT(*) FROM {t} AS st WHERE {w} "  # noqa: S608
                                                  f"GROUP BY st.state", wp).fetchall()))  # fmt: skip
            kept = {r[0] for r in self._exec(cur, f"SELECT DISTINCT st.household_id FROM {t} AS st WHERE {w} "  # noqa: S608
                                             f"AND st.state = %s", [*wp, LOADED])}  # fmt: skip
            counts["households"] = len(kept - existing)
            self._copy_back(cur)
        return counts

    def _copy_in(self, cur) -> None:
        cur.execute(f"DROP TABLE IF EXISTS {CHUNK_TABLE}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {CHUNK_TABLE} AS SELECT * FROM {self.staging} AS st "  # noqa: S608
            f"WHERE {self.where} AND st.state = %s",
            [*self.wp, OK],
        )
        cur.execute(f"CREATE INDEX {CHUNK_TABLE}_id ON {CHUNK_TABLE} (id)")
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {CHUNK_TABLE} (job_id, hh_key, state, household_id, id_index, relationship)")

    def _copy_back(self, cur) -> None:
        cur.execute(
            f"UPDATE {self.staging} SET state = c.state, rule_ids = c.rule_ids, reasons = c.reasons, "  # noqa: S608
            f"household_id = c.household_id, person_id = c.person_id, {ROW} = c.{ROW} FROM {CHUNK_TABLE} AS c "
            f"WHERE {self.staging}.id = c.id"
        )
        cur.execute(f"DROP TABLE {CHUNK_TABLE}")

    def _attach_households(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        cur.execute(
            f"UPDATE {t} AS st SET household_id = h.id FROM {self.H} AS h WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.household_id IS NULL AND h.village_id = st.village_id AND h.number = st.number",
            [*wp, OK],
        )

    def _not_approved(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.id, st.line, st.number FROM {t} AS st JOIN {self.H} AS h ON h.id = st.household_id "  # noqa: S608
            f"WHERE {w} AND st.state = %s AND (h.form_state <> %s OR h.status <> %s)",
            [*wp, OK, FormState.APPROVED, Household.Status.ACTIVE],
        ).fetchall()
        _reject(cur, t, [(sid, "P07", violation("P07", row=line, number=num).message) for sid, line, num in rows])

    def _present(self, cur) -> None:
        t, w, wp, P = self.t, self.where, self.wp, self.P
        same = (
            "p.household_id = st.household_id AND p.name = st.name AND p.sex = st.sex AND p.birth_date = st.birth_date"
        )
        cur.execute(
            f"UPDATE {t} AS st SET state = %s, person_id = p.id FROM {P} AS p WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.id_index IS NOT NULL AND p.id_index = st.id_index AND {same}",
            [PRESENT, *wp, OK],
        )
        cur.execute(
            f"UPDATE {t} AS st SET state = %s, person_id = p.id FROM {P} AS p WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.id_index IS NULL AND st.household_id IS NOT NULL AND p.id_index IS NULL AND {same}",
            [PRESENT, *wp, OK],
        )

    def _conflicts(self, cur) -> None:
        """An ID registered in another household (I09), or in this one with
        other particulars (P10)."""
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.id, st.line, st.household_id, p.household_id, h.region_code, h.number, r.name, "  # noqa: S608
            f"st.name, p.name, st.sex, p.sex, st.birth_date, p.birth_date FROM {t} AS st "
            f"JOIN {self.P} AS p ON p.id_index = st.id_index JOIN {self.H} AS h ON h.id = p.household_id "
            f"JOIN {quote(Region._meta.db_table)} AS r ON r.id = h.village_id WHERE {w} AND st.state = %s",
            [*wp, OK],
        ).fetchall()
        verdicts = []
        for sid, line, hh, p_hh, code, number, village, *pairs in rows:
            if hh is not None and hh == p_hh:
                labels = ("姓名", "性别", "出生日期")
                items = "、".join(lbl for lbl, (a, b) in zip(labels, zip(pairs[::2], pairs[1::2], strict=True),
                                                               strict=True) if str(a) != str(b))  # fmt: skip
                verdicts.append((sid, "P10", violation("P10", row=line, items=items or "登记项").message))
            else:
                actor = self.runner.actor
                where = f"{village} {number} 号户" if actor is None or code_in_scope(actor, code) else "本辖区以外"
                verdicts.append((sid, "I09", violation("I09", row=line, where=where).message))
        _reject(cur, t, verdicts)

    def _create_households(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.hh_key, st.village_id, st.village_code, st.number, st.hh_type, st.address, st.relationship "  # noqa: S608
            f"FROM {t} AS st WHERE {w} AND st.state = %s AND st.household_id IS NULL ORDER BY st.hh_key, st.line",
            [*wp, OK],
        ).fetchall()
        chosen: dict[int, tuple] = {}
        for key, village_id, code, number, hh_type, address, relationship in rows:
            # The household's items come from its head's row (else its first row).
            if key not in chosen or (relationship in ("01", "02") and chosen[key][-1] not in ("01", "02")):
                chosen[key] = (village_id, code, number, hh_type, address, relationship)
        if not chosen:
            return
        writer = TableWriter(
            Household,
            ["village_id", "region_code", "number", "hh_type", "address", "status", "form_state", "approved_at",
             "version", "created_by_id", "created_at", "updated_at"],
        )  # fmt: skip
        writer.write(
            (
                v,
                c,
                n,
                ht,
                a,
                Household.Status.ACTIVE,
                FormState.APPROVED,
                self.now,
                1,
                self.actor_id,
                self.now,
                self.now,
            )
            for v, c, n, ht, a, _r in chosen.values()
        )
        self._attach_households(cur)

    def _number_rows(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        cur.execute(
            f"UPDATE {t} AS st SET {ROW} = r.n FROM (SELECT s2.id AS sid, ROW_NUMBER() OVER ("  # noqa: S608
            f"PARTITION BY s2.household_id ORDER BY CASE WHEN s2.relationship IN ('01', '02') THEN 0 ELSE 1 END, "
            f"s2.line) + COALESCE(m.top, 0) AS n FROM {t} AS s2 LEFT JOIN (SELECT p.household_id, MAX(p.{ROW}) AS top "
            f"FROM {self.P} AS p WHERE p.household_id IN (SELECT st.household_id FROM {t} AS st WHERE {w} "
            f"AND st.state = %s) GROUP BY p.household_id) AS m ON m.household_id = s2.household_id "
            f"WHERE s2.job_id = %s AND s2.hh_key BETWEEN %s AND %s AND s2.state = %s) AS r WHERE st.id = r.sid",
            [*wp, OK, *wp, OK],
        )

    def _insert_persons(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        same = [
            "household_id", "row", "name", "name_pinyin", "name_initials", "id_cipher", "id_index", "id_masked",
            "id_sex", "id_birth_date", "no_id_reason", "sex", "birth_date", "ethnicity", "education", "occupation",
            "marital_status", "relationship", "hukou_type", "registered_code", "residence_code", "residence_status",
            "phone_cipher", "phone_index", "phone_masked",
        ]  # fmt: skip
        exprs = {c: f"st.{quote(c)}" for c in same}
        exprs.update(
            responsible_code="st.registered_code",
            status=("%s", ["1"]),
            death_date="NULL",
            created_at=("%s", [self.now]),
            updated_at=("%s", [self.now]),
        )
        insert_select(Person, exprs, f"FROM {t} AS st WHERE {w} AND st.state = %s", [*wp, OK])
        cur.execute(
            f"UPDATE {t} AS st SET person_id = p.id, state = %s FROM {self.P} AS p WHERE {w} "  # noqa: S608
            f"AND st.state = %s AND p.household_id = st.household_id AND p.{ROW} = st.{ROW}",
            [LOADED, *wp, OK],
        )

    def _family(self, cur) -> None:
        """Marriages and births from the spouse/parent ID columns, where the
        other person is registered in the same household."""
        t, w, wp, P = self.t, self.where, self.wp, self.P
        insert_select(
            Marriage,
            {
                "husband_id": "hus.id",
                "wife_id": "wif.id",
                "date": "NULL",
                "kind": "CASE WHEN hus.marital_status = '22' OR wif.marital_status = '22' "
                "THEN 'remarriage' ELSE 'first' END",
            },
            f"FROM (SELECT DISTINCT CASE WHEN me.sex = '1' THEN me.id ELSE other.id END AS hid, "  # noqa: S608
            f"CASE WHEN me.sex = '1' THEN other.id ELSE me.id END AS wid FROM {t} AS st "
            f"JOIN {P} AS me ON me.id = st.person_id "
            f"JOIN {P} AS other ON other.household_id = st.household_id AND other.id_index = st.spouse_index "
            f"WHERE {w} AND st.state = %s AND st.spouse_index <> '' AND me.sex <> other.sex) AS pair "
            f"JOIN {P} AS hus ON hus.id = pair.hid JOIN {P} AS wif ON wif.id = pair.wid "
            f"WHERE NOT EXISTS (SELECT 1 FROM {quote(Marriage._meta.db_table)} AS m "
            f"WHERE m.husband_id = hus.id AND m.wife_id = wif.id)",
            [*wp, LOADED],
        )
        insert_select(
            Birth,
            {"child_id": "st.person_id", "mother_id": "mo.id", "father_id": "fa.id", "birth_order": "NULL"},
            f"FROM {t} AS st LEFT JOIN {P} AS mo ON st.mother_index <> '' AND mo.id_index = st.mother_index "
            f"AND mo.household_id = st.household_id LEFT JOIN {P} AS fa ON st.father_index <> '' "
            f"AND fa.id_index = st.father_index AND fa.household_id = st.household_id "
            f"WHERE {w} AND st.state = %s AND (mo.id IS NOT NULL OR fa.id IS NOT NULL)",
            [*wp, LOADED],
        )
        # Seed rule: a couple registered in different places is the wife's place's responsibility.
        rows = self._exec(
            cur,
            f"SELECT hus.id, wif.id, wif.registered_code FROM {quote(Marriage._meta.db_table)} AS m "  # noqa: S608
            f"JOIN {P} AS hus ON hus.id = m.husband_id JOIN {P} AS wif ON wif.id = m.wife_id "
            f"WHERE hus.registered_code <> wif.registered_code AND (hus.id IN (SELECT st.person_id FROM {t} AS st "
            f"WHERE {w} AND st.state = %s) OR wif.id IN (SELECT st.person_id FROM {t} AS st WHERE {w} "
            f"AND st.state = %s))",
            [*wp, LOADED, *wp, LOADED],
        ).fetchall()
        if rows:
            cur.executemany(
                f"UPDATE {P} SET responsible_code = %s WHERE id IN (%s, %s)",  # noqa: S608
                [(code, h, wf) for h, wf, code in rows],
            )

    def _heads(self, cur) -> None:
        """Each household without a head gets its head-relationship member
        with the lowest row (read from the staging table: a correlated
        UPDATE over the person table grown in this transaction plans badly)."""
        t, w, wp, H = self.t, self.where, self.wp, self.H
        cur.execute(
            f"UPDATE {H} SET head_id = x.person_id FROM (SELECT st.household_id, st.person_id, ROW_NUMBER() "  # noqa: S608
            f"OVER (PARTITION BY st.household_id ORDER BY st.{ROW}) AS n FROM {t} AS st WHERE {w} "
            f"AND st.state = %s AND st.relationship IN ('01', '02')) AS x "
            f"WHERE x.n = 1 AND {H}.id = x.household_id AND {H}.head_id IS NULL",
            [*wp, LOADED],
        )

    def _baseline(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        day = self.runner.baseline_date
        events = insert_select(
            Event,
            {
                "event_type": ("%s", [EventType.BASELINE]),
                "person_id": "st.person_id",
                "household_id": "st.household_id",
                "region_code": "st.registered_code",
                "effective_date": ("%s", [day]),
                "report_date": ("%s", [day]),
                "source": ("%s", [Event.Source.POLICE]),
                "reporter_id": ("%s", [self.actor_id]),
                "review_status": ("%s", [Event.Review.APPROVED]),
                "approved_at": ("%s", [self.now]),
                "approved_by_id": ("%s", [self.actor_id]),
                "approved_period": ("%s", [self.period]),
                "created_at": ("%s", [self.now]),
            },
            f"FROM {t} AS st WHERE {w} AND st.state = %s",
            [*wp, LOADED],
            returning="id, person_id, household_id, region_code",
        )
        # The new persons' rows were inserted from these staging columns, so
        # the spells get their attribute copies (pims.events.spell_attrs) in
        # the same COPY instead of a second write of every spell.
        attrs = ", ".join(f"st.{quote(a)}" for a in PERSON_ATTRS)
        person_rows = {
            row[0]: row[1:]
            for row in self._exec(
                cur,
                f"SELECT st.person_id, st.residence_code, {attrs} FROM {t} AS st WHERE {w} AND st.state = %s",  # noqa: S608
                [*wp, LOADED],
            ).fetchall()
        }
        TableWriter(
            Spell,
            ["person_id", "household_id", "kind", "region_code", "start", "end", "opened_by_id", "open_reason",
             "open_period", *PERSON_ATTRS],
        ).write(
            (person, household, kind, code, day, None, event, Spell.Opened.BASELINE, self.period, *person_rows[person][1:])
            for event, person, household, registered in events
            for kind, code in ((Spell.Kind.REGISTERED, registered), (Spell.Kind.RESIDENT, person_rows[person][0]))
        )  # fmt: skip


# ---------------------------------------------------------------------------
# Stage 3: the register rules, once over the import's households

CHECK_TABLE = "pims_import_households"


class _RegisterCheck:
    """Every register rule once over the households this import added
    people to (one statement per rule, as the batch check runs them, instead
    of once per chunk). A household with an error loses this import's rows
    again and they are rejected with the rule's message (P08 for the other
    members): the form is all-or-nothing per household too. Runs inside the
    caller's transaction."""

    def __init__(self, runner: _Runner):
        self.job, self.t = runner.job, runner.table
        self.P, self.H = quote(Person._meta.db_table), quote(Household._meta.db_table)

    def run(self) -> None:
        job, t = self.job, self.t
        with connection.cursor() as cur:
            if not self._household_set(cur):
                return
            with set_based():
                found = check_households(RawSQL(f"SELECT id FROM {CHECK_TABLE}", []))  # noqa: S608, S611  (a constant name)
            cur.execute(f"DROP TABLE {CHECK_TABLE}")
            errors, warnings = defaultdict(list), Counter()
            for v in found:
                if v.severity == Severity.ERROR:
                    errors[v.household_id].append(v)
            for v in found:
                if v.severity != Severity.ERROR and v.household_id not in errors:
                    warnings[v.rule_id] += 1
            job.warnings = _merged(job.warnings, warnings)
            if not errors:
                return
            members = defaultdict(list)
            ids = sorted(errors)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                cur.execute(
                    f"SELECT id, line, household_id, person_id, {ROW}, number FROM {t} WHERE job_id = %s "  # noqa: S608
                    f"AND state = %s AND household_id IN ({', '.join(['%s'] * len(part))})",
                    [job.pk, LOADED, *part],
                )
                for row in cur.fetchall():
                    members[row[2]].append(row)
            verdicts, drop_persons = [], []
            for hh, violations in errors.items():
                line_of_row = {r[4]: r[1] for r in members[hh]}
                # Messages name the file line instead of the household row.
                texts = [_file_line(v.message, line_of_row) for v in violations]
                summary = "；".join(dict.fromkeys(texts))
                for sid, line, _hh, pid, _row, number in members[hh]:
                    own = [(v, text) for v, text in zip(violations, texts, strict=True) if v.person_id in (pid, None)]
                    if any(v.person_id == pid for v, _ in own):
                        rules = ",".join(dict.fromkeys(v.rule_id for v, _ in own))
                        verdicts.append((sid, rules, "；".join(text for _, text in own)[:4000]))
                    else:
                        msg = violation("P08", row=line, number=number, reasons=summary).message
                        rules = ",".join(["P08", *dict.fromkeys(v.rule_id for v in violations)])
                        verdicts.append((sid, rules[:200], msg[:4000]))
                    drop_persons.append(pid)
            job.households_created -= self._unload(cur, sorted(drop_persons), ids)
            _reject(cur, t, verdicts)
            cur.executemany(
                f"UPDATE {t} SET person_id = NULL WHERE id = %s",  # noqa: S608
                [(sid,) for sid, _r, _m in verdicts],
            )
            job.rows_loaded -= len(verdicts)
            job.rows_rejected += len(verdicts)

    def _household_set(self, cur) -> int:
        """The import's households as a small table of their own: the rules'
        planner estimates stay right whatever the size of the import."""
        cur.execute(f"DROP TABLE IF EXISTS {CHECK_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {CHECK_TABLE} (id bigint PRIMARY KEY)")
        cur.execute(
            f"INSERT INTO {CHECK_TABLE} (id) SELECT DISTINCT household_id FROM {self.t} "  # noqa: S608
            f"WHERE job_id = %s AND state = %s",
            [self.job.pk, LOADED],
        )
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {CHECK_TABLE}")
        cur.execute(f"SELECT COUNT(*) FROM {CHECK_TABLE}")  # noqa: S608
        n = cur.fetchone()[0]
        if not n:
            cur.execute(f"DROP TABLE {CHECK_TABLE}")
        return n

    def _unload(self, cur, person_ids: list[int], households: list[int]) -> int:
        P, H = self.P, self.H
        for i in range(0, len(person_ids), 500):
            ids = person_ids[i : i + 500]
            marks = ", ".join(["%s"] * len(ids))
            cur.execute(f"DELETE FROM {quote(Spell._meta.db_table)} WHERE person_id IN ({marks})", ids)  # noqa: S608
            cur.execute(f"DELETE FROM {quote(Event._meta.db_table)} WHERE person_id IN ({marks})", ids)  # noqa: S608
            b = quote(Birth._meta.db_table)
            cur.execute(
                f"DELETE FROM {b} WHERE child_id IN ({marks}) OR mother_id IN ({marks}) OR father_id IN ({marks})",  # noqa: S608
                ids * 3,
            )
            m = quote(Marriage._meta.db_table)
            cur.execute(f"DELETE FROM {m} WHERE husband_id IN ({marks}) OR wife_id IN ({marks})", ids * 2)  # noqa: S608
            cur.execute(f"UPDATE {H} SET head_id = NULL WHERE head_id IN ({marks})", ids)  # noqa: S608
            cur.execute(f"DELETE FROM {P} WHERE id IN ({marks})", ids)  # noqa: S608
        # A household this import created is left with nothing pointing at
        # it (members, events, spells, …) and is removed again; one that was
        # there before the import keeps whatever it had.
        unused = " ".join(
            f"AND NOT EXISTS (SELECT 1 FROM {quote(rel.related_model._meta.db_table)} AS x "  # noqa: S608
            f"WHERE x.{quote(rel.field.column)} = {H}.id)"
            for rel in Household._meta.get_fields(include_hidden=True)
            if rel.one_to_many and rel.auto_created and rel.field.concrete
        )
        deleted = 0
        for i in range(0, len(households), 500):
            ids = households[i : i + 500]
            cur.execute(
                f"DELETE FROM {H} WHERE id IN ({', '.join(['%s'] * len(ids))}) AND created_at >= %s {unused}",  # noqa: S608
                [*ids, adapt_value(self.job.started_at)],
            )
            deleted += max(cur.rowcount, 0)
        return deleted


def _file_line(message: str, line_of_row: dict[int, int]) -> str:
    m = LINE_RE.search(message)
    if m and int(m[1]) in line_of_row:
        return message[: m.start()] + f"第 {line_of_row[int(m[1])]} 行" + message[m.end() :]
    return message


# ---------------------------------------------------------------------------
# The rejected-rows file


# Columns added to the rejected-rows file; a re-import ignores them.
REJECTED_EXTRA = ["原行号", "错误规则", "错误说明"]


def _write_rejected(job: ImportJob, path: Path, rejected: dict[int, tuple[str, str]], directory: Path) -> Path:
    """The rejected rows as the file had them, plus the rule ids and messages:
    the clerk corrects them and imports this file again (the two extra
    columns are ignored)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    out = directory / f"{Path(job.file_name).stem}.rejected-{job.pk}.csv"
    header = read_header(path, job.file_format, job.encoding)
    # A rejected-rows file imported again: its own extra columns are replaced.
    width = len(header) - len(REJECTED_EXTRA) if header[-len(REJECTED_EXTRA) :] == REJECTED_EXTRA else len(header)
    header = header[:width]
    out.touch(mode=0o600)  # plaintext ID numbers: readable by the service account only
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = spreadsheet.csv_writer(fh)
        writer.writerow([*header, *REJECTED_EXTRA])
        seen = set()
        for line, cells in original_lines(path, job.file_format, job.encoding, set(rejected)):
            rules, reasons = rejected[line]
            writer.writerow([*cells[:width], line, rules, reasons])
            seen.add(line)
        for line in sorted(set(rejected) - seen):  # lines the file no longer has (truncated since)
            rules, reasons = rejected[line]
            writer.writerow([""] * len(header) + [line, rules, reasons])
    return out


def import_dir() -> Path:
    """Where uploaded files and rejected-rows files of web imports are kept."""
    return Path(settings.MEDIA_ROOT) / "imports"


def rejected_store() -> Path:
    """Protected storage of rejected-rows files: under MEDIA_ROOT, which is
    never served directly; fetched through pims.integration.rejected."""
    return import_dir() / "rejected"
