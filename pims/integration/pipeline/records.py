"""The record pipeline shared by the departmental sources (civil affairs,
health, …): read → judge → match → decide (file an event, wait for review,
reject) → finish, for files of one record per row.

A source describes itself with a `RecordSource`: its job kind, its events
source, its header set, the people of a record (roles) and two hooks —
`judge(row, columns)` (one row → `Judged`) and `decide(run, record,
judged, matches)` (what becomes of a judged, matched record). Everything
else is here:

- the job (one per file content; the same file again is the same job
  unless `again`), its refusal when the file or its header cannot be read;
- records written in chunks, each chunk one transaction; a run that
  stopped resumes after the lines already recorded;
- a document number given twice in the file for the same kind: every
  occurrence rejected; a record already imported (same source, kind and
  document number, from any file) recognised and left alone;
- bad rows rejected with line, column and rule; the rejected-rows file.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.errors import EventRefused
from pims.events.models import Event
from pims.integration.format import MappingError
from pims.integration.models import ImportJob, IntakeRecord
from pims.integration.pipeline import columns as cols
from pims.integration.pipeline.job import ImportRefused, Progress, rejected_store
from pims.integration.pipeline.match import FilePerson, Match, match_persons
from pims.integration.pipeline.probable import Matcher
from pims.integration.pipeline.rejected_file import write_rejected
from pims.integration.reader import SourceError, SourceRow, detect, file_sha256, iter_rows, read_header
from pims.lib.errors import Conflict, NotPermitted
from pims.regions.scope import user_prefix
from pims.registry.checks.base import Violation
from pims.registry.models import Person

S = IntakeRecord.State
CHUNK = 500


@dataclass
class Judged:
    line: int
    kind: str = ""
    doc_number: str = ""
    date: dt.date | None = None
    authority: str = ""
    parties: dict[str, dict] = field(default_factory=dict)  # role → stored values
    people: dict[str, FilePerson] = field(default_factory=dict)  # role → for the matcher
    details: dict = field(default_factory=dict)  # what else the record says (a newborn's particulars …)
    problems: list[Violation] = field(default_factory=list)


def judged_start(
    source: SourceRow, columns: dict[str, int], kinds: dict[str, str], rules: tuple[str, str, str]
) -> tuple[Judged, Callable | None]:
    """The start every judge shares: the reader's problem, the kind (column
    ``kind`` through `kinds`) and the day (column ``date``, not after today),
    with the source's three rule ids for them. Returns the record and its
    cell reader (None when the reader already rejected the row)."""
    from pims.integration.format import normalise_date
    from pims.integration.pipeline.columns import cell_reader
    from pims.lib import clock
    from pims.registry.checks.base import violation

    out = Judged(source.line)
    if source.problem is not None:
        out.problems.append(source.problem)
        return out, None
    cell = cell_reader(source.cells, columns)
    kind_text = cell("kind")
    out.kind = kinds.get(kind_text, "")
    if not out.kind:
        out.problems.append(violation(rules[0], row=source.line, value=kind_text))
    date_text = normalise_date(cell("date"))
    try:
        out.date = dt.date.fromisoformat(date_text)
    except ValueError:
        out.problems.append(violation(rules[1], row=source.line, value=date_text))
    else:
        if out.date > clock.today():
            out.problems.append(violation(rules[2], row=source.line, value=date_text))
    return out, cell


@dataclass(frozen=True)
class RecordSource:
    kind: str  # ImportJob.kind
    source: str  # Event.Source
    columns: list[cols.Column]
    roles: dict[str, str]  # role → label, in the order the region is taken from
    refused: str  # the message for a user who may not import this source
    may_import: Callable[..., bool]
    judge: Callable[[SourceRow, dict[str, int]], Judged]
    decide: Callable[["RecordRun", IntakeRecord, Judged, dict[str, Match]], IntakeRecord]
    duplicate: Callable[[Judged, list[int]], Violation]
    # An accepted record's event filed (the review queue calls it too).
    file: Callable[..., IntakeRecord]
    # The roles that become the record's person and related person.
    subject: tuple[str, str]
    # Roles a record may lack (a certificate that names no father).
    optional: tuple[str, ...] = ()
    # Kinds a reviewer handles by hand (on the form): accepting marks them handled, nothing is filed.
    manual: tuple[str, ...] = ()


SOURCES: dict[str, RecordSource] = {}


def register(src: RecordSource) -> RecordSource:
    SOURCES[src.source] = src
    return src


def import_records(
    src: RecordSource,
    *,
    actor,
    path: str | Path,
    mapping: dict | None = None,
    again: bool = False,
    progress: Progress | None = None,
) -> ImportJob:
    """Import (or resume importing) a file of `src`; returns the job."""
    if not src.may_import(actor):
        raise ImportRefused(src.refused)
    path = Path(path).resolve()
    fmt, encoding = _detect(path)
    sha = file_sha256(path)
    job = ImportJob.objects.filter(kind=src.kind, file_sha256=sha).exclude(state=ImportJob.State.FAILED).first()
    if job is not None and job.state == ImportJob.State.DONE and not again:
        return job
    if job is None or job.state == ImportJob.State.DONE:
        job = _job_create(src, actor, path, sha, fmt, encoding, mapping or {})
    columns = checked_header(src, path, fmt, encoding, job.mapping)
    RecordRun(src, job, actor, columns, progress).run()
    return job


def prepare_records(src: RecordSource, *, actor, path: str | Path, mapping: dict | None = None) -> ImportJob:
    """Check the file and create its job without running it (the import page
    queues the run); an unfinished job for the same content is returned."""
    if not src.may_import(actor):
        raise ImportRefused(src.refused)
    path = Path(path).resolve()
    fmt, encoding = _detect(path)
    sha = file_sha256(path)
    running = ImportJob.objects.filter(kind=src.kind, file_sha256=sha, state=ImportJob.State.LOADING).first()
    if running is not None:
        return running
    return _job_create(src, actor, path, sha, fmt, encoding, mapping or {})


def _detect(path: Path) -> tuple[str, str]:
    try:
        return detect(path)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None


def _job_create(src: RecordSource, actor, path: Path, sha: str, fmt: str, encoding: str, mapping: dict) -> ImportJob:
    checked_header(src, path, fmt, encoding, mapping)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=src.kind,
            file_name=path.name,
            file_path=str(path),
            file_sha256=sha,
            file_size=path.stat().st_size,
            file_format=fmt,
            encoding=encoding,
            mapping=mapping,
            region_code=actor.region.code,
            actor=actor,
            username=actor.username,
            state=ImportJob.State.LOADING,
        )
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=job,
            region_code=job.region_code,
            detail={"what": f"{src.kind}_import_start", "file": path.name, "sha256": sha},
        )
    return job


def checked_header(src: RecordSource, path, fmt, encoding, mapping) -> dict[str, int]:
    try:
        return cols.resolve(src.columns, read_header(path, fmt, encoding), mapping)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    except MappingError as exc:
        raise ImportRefused(f"表头不符合要求：{exc}") from None


class RecordRun:
    def __init__(self, src: RecordSource, job: ImportJob, actor, columns: dict[str, int], progress: Progress | None):
        self.src, self.job, self.actor, self.columns, self.progress = src, job, actor, columns, progress
        self.path = Path(job.file_path)
        self.prefix = user_prefix(actor) or ""
        self.known: set[tuple[str, str]] = set()
        self.matcher = Matcher(self.prefix)

    def _rows(self):
        job = self.job
        text_only = cols.text_only(self.src.columns, self.columns)
        rows = iter_rows(self.path, job.file_format, job.encoding, text_only=text_only)
        next(rows)  # the header
        return rows

    def run(self) -> None:
        job = self.job
        done = set(IntakeRecord.objects.filter(job=job).values_list("line", flat=True))
        judged = [self.src.judge(row, self.columns) for row in self._rows()]
        self._duplicates(judged)
        todo = [j for j in judged if j.line not in done]
        for start in range(0, len(todo), CHUNK):
            self._chunk(todo[start : start + CHUNK])
            if self.progress:
                self.progress(job, "load", min(start + CHUNK, len(todo)), len(todo))
        self._finish()

    def _duplicates(self, judged: list[Judged]) -> None:
        lines = defaultdict(list)
        for j in judged:
            if j.doc_number and j.kind:
                lines[(j.kind, j.doc_number)].append(j.line)
        for j in judged:
            same = lines.get((j.kind, j.doc_number), [])
            if len(same) > 1:
                j.problems.append(self.src.duplicate(j, same))

    def _chunk(self, judged: list[Judged]) -> None:
        people, where = [], []
        for j in judged:
            if not j.problems:
                for role, person in j.people.items():
                    where.append((j.line, role))
                    people.append(person)
        found: dict[int, dict[str, Match]] = defaultdict(dict)
        for (line, role), m in zip(where, match_persons(people, prefix=self.prefix, matcher=self.matcher), strict=True):
            found[line][role] = m
        self.known = self._already_imported(judged)
        with transaction.atomic():
            for j in judged:
                matches = found.get(j.line, {})
                record = IntakeRecord(
                    job=self.job,
                    source=self.src.source,
                    line=j.line,
                    kind=j.kind,
                    doc_number=j.doc_number,
                    effective_date=j.date,
                    authority=j.authority,
                    parties=j.parties,
                    details=j.details,
                    region_code=self.job.region_code,
                    matches={role: m.as_dict() for role, m in matches.items()},
                )
                if j.problems:
                    reject(record, j.problems)
                else:
                    self.src.decide(self, record, j, matches)

    def _already_imported(self, judged: list[Judged]) -> set[tuple[str, str]]:
        numbers = [j.doc_number for j in judged if j.doc_number and not j.problems]
        seen: set[tuple[str, str]] = set()
        for start in range(0, len(numbers), 500):
            seen |= set(
                IntakeRecord.objects.filter(source=self.src.source, doc_number__in=numbers[start : start + 500])
                .exclude(state__in=[S.REJECTED, S.PRESENT])
                .exclude(job=self.job)
                .values_list("kind", "doc_number")
            )
        return seen

    def region_of(self, matches: dict[str, Match]) -> str:
        """The record's village: the first role's (in the source's order)
        registered village, of the exact match or else of the first candidate."""
        for role in self.src.roles:
            m = matches.get(role)
            if m is None:
                continue
            pk = m.person_id or (m.candidates[0] if m.candidates else None)
            if pk is not None:
                code = Person.objects.filter(pk=pk).values_list("registered_code", flat=True).first()
                if code:
                    return code
        return ""

    def _finish(self) -> None:
        job = self.job
        counts = dict(
            IntakeRecord.objects.filter(job=job).values("state").annotate(n=Count("id")).values_list("state", "n")
        )
        rejected = {
            line: (rules, reasons)
            for line, rules, reasons in IntakeRecord.objects.filter(job=job, state=S.REJECTED).values_list(
                "line", "rule_ids", "reasons"
            )
        }
        with transaction.atomic():
            job.rows_total = sum(counts.values())
            job.rows_loaded = counts.get(S.FILED, 0)
            job.rows_present = counts.get(S.PRESENT, 0) + counts.get(S.NO_CHANGE, 0)
            job.rows_rejected = counts.get(S.REJECTED, 0)
            job.warnings = {"review": counts.get(S.REVIEW, 0)} if counts.get(S.REVIEW) else {}
            job.rejected_file = str(write_rejected(job, self.path, rejected, rejected_store())) if rejected else ""
            job.state = ImportJob.State.DONE
            job.finished_at = timezone.now()
            job.save()
            audit_record(
                actor=self.actor,
                action=Action.LOAD,
                obj=job,
                region_code=job.region_code,
                detail={"what": f"{self.src.kind}_import_done", **{str(k): v for k, v in counts.items()}},
            )


def reject(record: IntakeRecord, problems: list[Violation]) -> IntakeRecord:
    record.state = S.REJECTED
    record.rule_ids = ",".join(dict.fromkeys(v.rule_id for v in problems))[:200]
    record.field = problems[0].field[:60]
    record.reasons = "；".join(v.message for v in problems)[:4000]
    record.save()
    return record


def matched(pk: int | None) -> Person:
    """A person a record names by key when it is filed (records are filed
    only once matched to the register)."""
    if pk is None:
        raise ValueError("the record is not matched to a person")
    return Person.objects.get(pk=pk)


def filed(record: IntakeRecord, file: Callable[[], Event]) -> IntakeRecord:
    """`file()` files the record's event: the record is filed with it; a
    refusal of the events engine rejects it with the engine's rules; a report
    that takes no more events leaves it waiting."""
    try:
        event = file()
    except EventRefused as exc:
        record.state = S.REJECTED
        record.rule_ids = ",".join(dict.fromkeys(p.rule or "E" for p in exc.problems))[:200]
        record.field = next((p.field for p in exc.problems if p.field), "")[:60]
        record.reasons = "；".join(f"第 {record.line} 行：{p.message}" for p in exc.problems)[:4000]
    except NotPermitted:
        # The person's township is not the importer's to file for (a township's own file).
        record.state, record.rule_ids, record.field = S.REJECTED, "P09", "citizen_id"
        record.reasons = f"第 {record.line} 行：人员登记在您的辖区以外，不能由您登记此变动"
    except Conflict as exc:
        record.state, record.reasons = S.REVIEW, str(exc)
    else:
        record.state, record.event = S.FILED, event
    record.save()
    return record
