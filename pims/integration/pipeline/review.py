"""The review queue's decisions on departmental records that did not match
the register exactly: accept (the reviewer names the register person of
each party, among the matcher's candidates), or dismiss. Each decision is
audited in its transaction; an accepted record is filed as its source's
event in the name of the import's starter (the one who may file that
source's report), the reviewer recorded as the one who decided."""

from django.db import transaction
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.integration.models import IntakeRecord
from pims.lib.errors import Conflict, Invalid, Problem

S = IntakeRecord.State
NOT_WAITING = "该记录已处理，不能再次处理"
CHOOSE = "请为{label}选择登记库中的人员（只能在候选人员中选择）"
NOTE_NEEDED = "驳回时必须填写意见"


def allowed(record: IntakeRecord, role: str) -> list[int]:
    m = record.matches.get(role) or {}
    out = [m["person"]] if m.get("person") else []
    return out + [pk for pk in m.get("candidates", []) if pk not in out]


def _locked(record: IntakeRecord) -> IntakeRecord:
    locked = IntakeRecord.objects.select_for_update().select_related("job").get(pk=record.pk)
    if locked.state != S.REVIEW:
        raise Conflict(NOT_WAITING)
    return locked


def intake_record_accept(
    *, actor, record: IntakeRecord, choices: dict[str, int | None], note: str = ""
) -> IntakeRecord:
    from pims.integration.pipeline.records import SOURCES
    from pims.registry.selectors import person_list_visible_to

    visible = person_list_visible_to(user=actor)
    with transaction.atomic():
        record = _locked(record)
        src = SOURCES[record.source]

        def acceptable(role: str) -> bool:
            choice = choices.get(role)
            if choice is None and role in src.optional and not allowed(record, role):
                return True
            return choice in allowed(record, role) and visible.filter(pk=choice).exists()

        problems = [
            Problem(CHOOSE.format(label=label), field=role)
            for role, label in src.roles.items()
            if record.kind not in src.manual and not acceptable(role)
        ]
        if problems:
            raise Invalid(problems[0].message, problems=problems)
        record.decided_by, record.decided_at, record.decision_note = actor, timezone.now(), note
        if record.kind in src.manual:
            record.state = S.NO_CHANGE
            record.save()
        else:
            first, second = src.subject
            record.person_id, record.related_person_id = choices.get(first), choices.get(second)
            src.file(record, actor=record.job.actor)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=record,
            region_code=record.region_code,
            detail={"what": "intake_review_accept", "state": record.state, "choices": choices},
        )
    return record


def intake_record_dismiss(*, actor, record: IntakeRecord, note: str) -> IntakeRecord:
    if not note.strip():
        raise Invalid(NOTE_NEEDED, problems=[Problem(NOTE_NEEDED, field="note")])
    with transaction.atomic():
        record = _locked(record)
        record.state, record.decided_by, record.decided_at = S.DISMISSED, actor, timezone.now()
        record.decision_note = note.strip()
        record.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=record,
            region_code=record.region_code,
            detail={"what": "intake_review_dismiss"},
        )
    return record
