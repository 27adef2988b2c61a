"""Civil-affairs import on the record pipeline (pims.integration.pipeline.records):
both parties of every record matched to the register, the exactly matched
marriages and divorces filed as events of the civil-affairs change report of
the wife's township, every other record in the review queue of the region
it belongs to (pims.integration.pipeline.review).

- 结婚 / 离婚 with both parties matched exactly → a 结婚 / 离婚 event
  (judged by the events engine with the report's other events: a refusal,
  e.g. under the legal marriage age, rejects the record with its rule);
- 补领 (a certificate issued again) changes nothing in the register;
- 撤销 (a registration annulled) always goes to a reviewer;
- a party whose ID is unusable and who has no candidate: rejected (M12).
"""

from functools import partial

from pims.events import rules as event_rules
from pims.events.models import Event, EventType
from pims.integration.models import IntakeRecord
from pims.integration.pipeline.events import file_event
from pims.integration.pipeline.job import may_import
from pims.integration.pipeline.match import INVALID, Match
from pims.integration.pipeline.records import (
    Judged,
    RecordRun,
    RecordSource,
    filed,
    import_records,
    matched,
    prepare_records,
    register,
    reject,
)
from pims.registry.checks.base import violation

from .columns import COLUMNS, PARTIES
from .judge import KIND_LABELS, judge_row

SOURCE = Event.Source.CIVIL
EVENT_TYPES = {"marriage": EventType.MARRIAGE, "divorce": EventType.DIVORCE}
REVOKE_NOTE = "撤销婚姻登记：请核对后以更正事件撤销原结婚登记"
S = IntakeRecord.State


def may_import_civil(user) -> bool:
    return user is not None and may_import(user) and SOURCE in event_rules.sources_for(user)


def _decide(run: RecordRun, record: IntakeRecord, j: Judged, matches: dict[str, Match]) -> IntakeRecord:
    problems = []
    for role, label in PARTIES.items():
        m = matches.get(role)
        if m is not None and m.kind == INVALID and not m.candidates:
            problems.append(violation("M12", row=j.line, field=f"{role}_citizen_id", label=label, reason=m.id_problem))
    if problems:
        return reject(record, problems)
    record.region_code = run.region_of(matches) or record.region_code
    persons = {role: m.person_id for role, m in matches.items() if m.automatic}
    record.person_id, record.related_person_id = persons.get("wife"), persons.get("husband")
    if (j.kind, j.doc_number) in run.known:
        record.state = S.PRESENT
        record.reasons = f"{KIND_LABELS[j.kind]}证件字号 {j.doc_number} 已导入过，未作修改"
    elif j.kind == "reissue":
        record.state = S.NO_CHANGE
    elif j.kind == "revoke":
        record.state, record.reasons = S.REVIEW, REVOKE_NOTE
    elif len(persons) == len(PARTIES):
        return file_record(record, actor=run.actor)
    else:
        record.state = S.REVIEW
    record.save()
    return record


def _duplicate(j: Judged, lines: list[int]):
    return violation("M11", row=j.line, kind=KIND_LABELS[j.kind], value=j.doc_number, lines="、".join(map(str, lines)))


def file_record(record: IntakeRecord, *, actor) -> IntakeRecord:
    """The record's event filed (结婚 / 离婚, the wife as its subject); a
    refusal of the events engine rejects the record with its rules."""
    return filed(
        record,
        lambda: file_event(
            actor=actor,
            source=SOURCE,
            event_type=EVENT_TYPES[record.kind],
            person=matched(record.person_id),
            related=matched(record.related_person_id),
            date=record.effective_date,
        ),
    )


CIVIL = register(
    RecordSource(
        kind="civil",
        source=SOURCE,
        columns=COLUMNS,
        roles={"wife": PARTIES["wife"], "husband": PARTIES["husband"]},
        refused="您的角色不能导入民政婚姻登记数据",
        may_import=may_import_civil,
        judge=judge_row,
        decide=_decide,
        duplicate=_duplicate,
        file=file_record,
        subject=("wife", "husband"),
        manual=("revoke",),
    )
)

civil_import = partial(import_records, CIVIL)
civil_import.__doc__ = """Import (or resume importing) a civil-affairs marriage registration file
as `actor` (a county administrator: civil affairs' events are filed by the county)."""
civil_import_prepare = partial(prepare_records, CIVIL)
