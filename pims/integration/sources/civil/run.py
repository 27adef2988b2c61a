"""Civil-affairs import: read and judge the file, match both parties of
every record to the register, file the exactly matched marriages and
divorces as events of the civil-affairs change report of the wife's
township, and put every other record in the review queue of the region it
belongs to (pims.integration.review).

- 结婚 / 离婚 with both parties matched exactly → a 结婚 / 离婚 event
  (judged by the events engine with the report's other events: a refusal,
  e.g. under the legal marriage age, rejects the record with its rule);
- 补领 (a certificate issued again) changes nothing in the register;
- 撤销 (a registration annulled) always goes to a reviewer;
- a record already imported (same kind and certificate number, from any
  file) is recognised and changes nothing; the same file again is reported
  as the job it was, unless `again`.

Bad rows are rejected with their line, column and rule (rejected-rows
file), every good row is kept. Records are written in chunks, each committed
with the job's progress; a run that stopped resumes after the last
committed line.
"""

from collections import defaultdict
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events import rules as event_rules
from pims.events.errors import EventRefused
from pims.events.models import Event, EventType
from pims.integration.format import MappingError
from pims.integration.models import ImportJob, IntakeRecord
from pims.integration.pipeline import columns as cols
from pims.integration.pipeline.events import file_event
from pims.integration.pipeline.job import ImportRefused, Progress, may_import, rejected_store
from pims.integration.pipeline.match import EXACT, INVALID, Match, match_persons
from pims.integration.pipeline.rejected_file import write_rejected
from pims.integration.reader import SourceError, detect, file_sha256, iter_rows, read_header
from pims.lib.errors import Conflict
from pims.regions.scope import user_prefix
from pims.registry.checks.base import violation
from pims.registry.models import Person

from .columns import COLUMNS, PARTIES
from .judge import KIND_LABELS, Judged, judge_row

SOURCE = Event.Source.CIVIL
KIND = "civil"
CHUNK = 500
EVENT_TYPES = {"marriage": EventType.MARRIAGE, "divorce": EventType.DIVORCE}
REVOKE_NOTE = "撤销婚姻登记：请核对后以更正事件撤销原结婚登记"
S = IntakeRecord.State


def may_import_civil(user) -> bool:
    return user is not None and may_import(user) and SOURCE in event_rules.sources_for(user)


def civil_import(
    *, actor, path: str | Path, mapping: dict | None = None, again: bool = False, progress: Progress | None = None
) -> ImportJob:
    """Import (or resume importing) a civil-affairs marriage registration
    file as `actor` (a county administrator: civil affairs' events are
    filed by the county); returns the job."""
    if not may_import_civil(actor):
        raise ImportRefused("您的角色不能导入民政婚姻登记数据")
    path = Path(path).resolve()
    try:
        fmt, encoding = detect(path)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    sha = file_sha256(path)
    job = ImportJob.objects.filter(kind=KIND, file_sha256=sha).exclude(state=ImportJob.State.FAILED).first()
    if job is not None and job.state == ImportJob.State.DONE and not again:
        return job
    columns = checked_header(path, fmt, encoding, mapping or {})
    if job is None or job.state == ImportJob.State.DONE:
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=KIND,
                file_name=path.name,
                file_path=str(path),
                file_sha256=sha,
                file_size=path.stat().st_size,
                file_format=fmt,
                encoding=encoding,
                mapping=mapping or {},
                region_code=actor.region.code,
                actor=actor,
                username=actor.username,
                state=ImportJob.State.LOADING,
            )
            audit_record(actor=actor, action=Action.LOAD, obj=job, region_code=job.region_code,
                         detail={"what": "civil_import_start", "file": path.name, "sha256": sha})  # fmt: skip
    _Run(job, actor, columns, progress).run()
    return job


def checked_header(path, fmt, encoding, mapping) -> dict[str, int]:
    try:
        return cols.resolve(COLUMNS, read_header(path, fmt, encoding), mapping)
    except SourceError as exc:
        raise ImportRefused(str(exc)) from None
    except MappingError as exc:
        raise ImportRefused(f"表头不符合要求：{exc}") from None


class _Run:
    def __init__(self, job: ImportJob, actor, columns: dict[str, int], progress: Progress | None):
        self.job, self.actor, self.columns, self.progress = job, actor, columns, progress
        self.path = Path(job.file_path)
        self.prefix = user_prefix(actor) or ""

    def _rows(self):
        job = self.job
        rows = iter_rows(self.path, job.file_format, job.encoding, text_only=cols.text_only(COLUMNS, self.columns))
        next(rows)  # the header
        return rows

    def run(self) -> None:
        job = self.job
        done = set(IntakeRecord.objects.filter(job=job).values_list("line", flat=True))
        judged = [judge_row(row, self.columns) for row in self._rows()]
        _duplicates(judged)
        todo = [j for j in judged if j.line not in done]
        for start in range(0, len(todo), CHUNK):
            self._chunk(todo[start : start + CHUNK])
            if self.progress:
                self.progress(job, "load", min(start + CHUNK, len(todo)), len(todo))
        self._finish()

    def _chunk(self, judged: list[Judged]) -> None:
        people, where = [], []
        for j in judged:
            if not j.problems:
                for role in PARTIES:
                    where.append((j.line, role))
                    people.append(j.people[role])
        found: dict[int, dict[str, Match]] = defaultdict(dict)
        for (line, role), m in zip(where, match_persons(people, prefix=self.prefix), strict=True):
            found[line][role] = m
        known = self._already_imported(judged)
        with transaction.atomic():
            for j in judged:
                self._record(j, found.get(j.line, {}), known)

    def _already_imported(self, judged: list[Judged]) -> set[tuple[str, str]]:
        numbers = [j.doc_number for j in judged if j.doc_number and not j.problems]
        seen = set()
        for start in range(0, len(numbers), 500):
            seen |= set(
                IntakeRecord.objects.filter(source=SOURCE, doc_number__in=numbers[start : start + 500])
                .exclude(state__in=[S.REJECTED, S.PRESENT])
                .exclude(job=self.job)
                .values_list("kind", "doc_number")
            )
        return seen

    def _record(self, j: Judged, matches: dict[str, Match], known: set) -> IntakeRecord:
        job = self.job
        record = IntakeRecord(
            job=job, source=SOURCE, line=j.line, kind=j.kind, doc_number=j.doc_number, effective_date=j.date,
            authority=j.authority, parties=j.parties, region_code=job.region_code,
            matches={role: m.as_dict() for role, m in matches.items()},
        )  # fmt: skip
        problems = list(j.problems)
        for role, label in PARTIES.items():
            m = matches.get(role)
            if m is not None and m.kind == INVALID and not m.candidates:
                problems.append(violation("M12", row=j.line, field=f"{role}_citizen_id", label=label,
                                          reason=m.id_problem))  # fmt: skip
        if problems:
            return self._reject(record, [(v.rule_id, v.field, v.message) for v in problems])
        record.region_code = self._region_of(matches) or job.region_code
        persons = {role: m.person_id for role, m in matches.items() if m.kind == EXACT}
        record.person_id, record.related_person_id = persons.get("wife"), persons.get("husband")
        if (j.kind, j.doc_number) in known:
            record.state = S.PRESENT
            record.reasons = f"{KIND_LABELS[j.kind]}证件字号 {j.doc_number} 已导入过，未作修改"
        elif j.kind == "reissue":
            record.state = S.NO_CHANGE
        elif j.kind == "revoke":
            record.state, record.reasons = S.REVIEW, REVOKE_NOTE
        elif len(persons) == len(PARTIES):
            return file_record(record, actor=self.actor)
        else:
            record.state = S.REVIEW
        record.save()
        return record

    def _region_of(self, matches: dict[str, Match]) -> str:
        """The record's village: the wife's (or else the husband's) registered
        village, of the exact match or else of the first candidate."""
        for role in ("wife", "husband"):
            m = matches.get(role)
            pk = m.person_id if m is not None and m.person_id else (m.candidates[0] if m and m.candidates else None)
            if pk is not None:
                code = Person.objects.filter(pk=pk).values_list("registered_code", flat=True).first()
                if code:
                    return code
        return ""

    def _reject(self, record: IntakeRecord, problems: list[tuple[str, str, str]]) -> IntakeRecord:
        record.state = S.REJECTED
        record.rule_ids = ",".join(dict.fromkeys(r for r, _f, _m in problems))[:200]
        record.field = problems[0][1][:60]
        record.reasons = "；".join(m for _r, _f, m in problems)[:4000]
        record.save()
        return record

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
            audit_record(actor=self.actor, action=Action.LOAD, obj=job, region_code=job.region_code,
                         detail={"what": "civil_import_done", **{str(k): v for k, v in counts.items()}})  # fmt: skip


def _duplicates(judged: list[Judged]) -> None:
    """A certificate number given twice in the file for the same kind: every
    occurrence is rejected (M11) — which one is right is for civil affairs to say."""
    lines = defaultdict(list)
    for j in judged:
        if j.doc_number and j.kind:
            lines[(j.kind, j.doc_number)].append(j.line)
    for j in judged:
        same = lines.get((j.kind, j.doc_number), [])
        if len(same) > 1:
            j.problems.append(violation("M11", row=j.line, kind=KIND_LABELS[j.kind], value=j.doc_number,
                                        lines="、".join(map(str, same))))  # fmt: skip


def file_record(record: IntakeRecord, *, actor, decided_by=None) -> IntakeRecord:
    """The record's event filed (结婚 / 离婚, the wife as its subject); a
    refusal of the events engine rejects the record with its rules."""
    try:
        event = file_event(
            actor=actor, source=SOURCE, event_type=EVENT_TYPES[record.kind],
            person=Person.objects.get(pk=record.person_id), related=Person.objects.get(pk=record.related_person_id),
            date=record.effective_date,
        )  # fmt: skip
    except EventRefused as exc:
        record.state = S.REJECTED
        record.rule_ids = ",".join(dict.fromkeys(p.rule or "E" for p in exc.problems))[:200]
        record.field = next((p.field for p in exc.problems if p.field), "")[:60]
        record.reasons = "；".join(f"第 {record.line} 行：{p.message}" for p in exc.problems)[:4000]
    except Conflict as exc:
        record.state, record.reasons = S.REVIEW, str(exc)
    else:
        record.state, record.event = S.FILED, event
    record.save()
    return record
