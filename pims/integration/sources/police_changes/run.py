"""Police change import on the record pipeline (pims.integration.pipeline.records)."""

from functools import partial

from pims.events import rules as event_rules
from pims.events.models import Event, EventType
from pims.integration.models import IntakeRecord
from pims.integration.pipeline.events import file_event
from pims.integration.pipeline.job import may_import
from pims.integration.pipeline.match import Match
from pims.integration.pipeline.records import (
    Judged,
    RecordRun,
    RecordSource,
    filed,
    import_records,
    matched,
    prepare_records,
    register,
)
from pims.registry.checks.base import violation

from .columns import COLUMNS
from .judge import KIND_LABELS, judge_row

SOURCE = Event.Source.POLICE
S = IntakeRecord.State
EVENT_TYPES = {"move_out": EventType.MOVE_OUT, "death": EventType.DEATH, "cancel": EventType.CANCEL}
BY_FORM = "{kind}需要落户的户或新的登记项目：请核对后通过公安变更单登记"


def may_import_police_changes(user) -> bool:
    return user is not None and may_import(user) and SOURCE in event_rules.sources_for(user)


def _decide(run: RecordRun, record: IntakeRecord, j: Judged, matches: dict[str, Match]) -> IntakeRecord:
    record.region_code = run.region_of(matches) or record.region_code
    m = matches.get("person")
    record.person_id = m.person_id if m is not None and m.automatic else None
    if (j.kind, j.doc_number) in run.known:
        record.state, record.reasons = S.PRESENT, "同一人同一天的这一变动已导入过，未作修改"
    elif j.kind not in EVENT_TYPES:
        record.state, record.reasons = S.REVIEW, BY_FORM.format(kind=KIND_LABELS[j.kind])
    elif record.person_id is not None:
        return file_record(record, actor=run.actor)
    else:
        record.state = S.REVIEW
    record.save()
    return record


def file_record(record: IntakeRecord, *, actor) -> IntakeRecord:
    d = record.details
    data = {"reason": d.get("reason") or KIND_LABELS[record.kind]} if record.kind == "cancel" else {}
    if record.kind == "move_out":
        data = {"destination": d.get("place", ""), "reason": d.get("reason", "")}
    return filed(
        record,
        lambda: file_event(
            actor=actor,
            source=SOURCE,
            event_type=EVENT_TYPES[record.kind],
            person=matched(record.person_id),
            related=None,
            date=record.effective_date,
            data=data,
        ),
    )


def _duplicate(j: Judged, lines: list[int]):
    return violation("G08", row=j.line, kind=KIND_LABELS[j.kind], lines="、".join(map(str, lines)))


POLICE_CHANGES = register(
    RecordSource(
        kind="police_changes",
        source=SOURCE,
        columns=COLUMNS,
        roles={"person": "本人"},
        refused="您的角色不能导入公安户口变动数据",
        may_import=may_import_police_changes,
        judge=judge_row,
        decide=_decide,
        duplicate=_duplicate,
        file=file_record,
        subject=("person", ""),
        manual=("birth", "move_in", "change"),
    )
)

police_changes_import = partial(import_records, POLICE_CHANGES)
police_changes_import_prepare = partial(prepare_records, POLICE_CHANGES)
