"""Health import on the record pipeline (pims.integration.pipeline.records):
the mother (and a named father) of every 出生医学证明 matched to the
register; a birth whose mother — and father, when the certificate names
one — match exactly is filed as a 出生 event of the health change report
of the mother's township (the child created in her household, the birth
order counted by the events engine, the certificate number kept); every
other record waits in the review queue.

- a birth already in the register (the mother has a child born that day) or
  a certificate already imported changes nothing;
- a newborn without a name, or a mother whose place in her household does
  not say what the child is to the head, waits for a reviewer;
- a mother whose ID is unusable and who has no candidate: rejected (N12).
"""

from functools import partial

from pims.events import rules as event_rules
from pims.events.models import Event, EventType
from pims.integration.models import IntakeRecord
from pims.integration.pipeline.events import file_event
from pims.integration.pipeline.job import may_import
from pims.integration.pipeline.match import INVALID, MISSING, Match
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
from pims.registry.models import Birth

from .columns import COLUMNS, PARENTS
from .judge import judge_row

SOURCE = Event.Source.HEALTH
S = IntakeRecord.State
NO_NAME = "新生儿尚未取名：取名后确认，或驳回由村报登记"
NO_RELATIONSHIP = "母亲在户中的关系不能确定新生儿与户主的关系，请通过村报登记出生"
# The newborn's relationship to the head, by the mother's: (son, daughter).
CHILD_OF = {
    "01": ("20", "30"),
    "02": ("20", "30"),
    "10": ("20", "30"),
    "11": ("20", "30"),
    "12": ("20", "30"),
    "38": ("41", "42"),
} | {f"3{d}": ("43", "44") for d in range(10)}


def may_import_health(user) -> bool:
    return user is not None and may_import(user) and SOURCE in event_rules.sources_for(user)


def _decide(run: RecordRun, record: IntakeRecord, j: Judged, matches: dict[str, Match]) -> IntakeRecord:
    mother = matches.get("mother")
    if mother is not None and mother.kind in (INVALID, MISSING) and not mother.candidates:
        return reject(record, [violation("N12", row=j.line, reason=mother.id_problem or "未提供")])
    record.region_code = run.region_of(matches) or record.region_code
    exact = {role: m.person_id for role, m in matches.items() if m.automatic}
    record.person_id, record.related_person_id = exact.get("mother"), exact.get("father")
    already = (
        record.person_id is not None
        and j.date is not None
        and Birth.objects.filter(mother_id=record.person_id, child__birth_date=j.date).exists()
    )
    if (j.kind, j.doc_number) in run.known or already:
        record.state = S.PRESENT
        record.reasons = f"出生医学证明 {j.doc_number} 已导入过或该出生已登记，未作修改"
    elif not j.details.get("name"):
        record.state, record.reasons = S.REVIEW, NO_NAME
    elif "mother" in exact and all(role in exact for role in j.people):
        return file_record(record, actor=run.actor)
    else:
        record.state = S.REVIEW
    record.save()
    return record


def _duplicate(j: Judged, lines: list[int]):
    return violation("N11", row=j.line, value=j.doc_number, lines="、".join(map(str, lines)))


def file_record(record: IntakeRecord, *, actor) -> IntakeRecord:
    """The 出生 event filed: the mother as its related person, the child's
    particulars from the certificate, the father when matched."""
    mother = matched(record.person_id)
    d = record.details
    relationship = CHILD_OF.get(mother.relationship)
    if relationship is None:
        record.state, record.reasons = S.REVIEW, NO_RELATIONSHIP
        record.save()
        return record
    data = {
        "name": d["name"],
        "sex": d["sex"],
        "relationship": relationship[0 if d["sex"] == "1" else 1],
        "certificate_no": record.doc_number,
    }
    if record.related_person_id:
        data["father_id"] = str(record.related_person_id)
    return filed(
        record,
        lambda: file_event(
            actor=actor,
            source=SOURCE,
            event_type=EventType.BIRTH,
            person=mother,
            related=None,
            date=record.effective_date,
            subject_role="related_person",
            data=data,
        ),
    )


HEALTH = register(
    RecordSource(
        kind="health",
        source=SOURCE,
        columns=COLUMNS,
        roles=PARENTS,
        refused="您的角色不能导入卫健出生医学证明数据",
        may_import=may_import_health,
        judge=judge_row,
        decide=_decide,
        duplicate=_duplicate,
        file=file_record,
        subject=("mother", "father"),
        optional=("father",),
    )
)

health_import = partial(import_records, HEALTH)
health_import_prepare = partial(prepare_records, HEALTH)
