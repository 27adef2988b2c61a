"""Likely duplicates in the register (issue 20.4): the probabilistic matcher
of departmental intake (`pipeline.probable`, the county's model) run over
the register itself — the persons of the starter's jurisdiction only —
on the task queue (kind `register_duplicates`). Each pair scoring at least
`intake.match.review_min` is listed once (`DuplicatePair`) for a reviewer of
the pair's nearest common region, with its probability and the comparisons
that drove it; a scan again adds only pairs not listed before, so a
stopped scan is simply run again. The reviewer dismisses a pair that is not
one person (audited)."""

import logging

from django.db import transaction
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.integration.models import DuplicatePair
from pims.integration.pipeline import probable
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.scope import user_prefix

NOT_YOURS = "您的角色不能查找重复人员"
NOT_OPEN = "该疑似重复已处理，不能再次处理"
NOTE_NEEDED = "请填写判断依据"


def may_find_duplicates(user) -> bool:
    return has_capability(user, Cap.REVIEW) and user_prefix(user) is not None


def common_region(a: str, b: str) -> str:
    """The nearest region holding both 12-digit codes (village, township or county)."""
    if a == b:
        return a
    if a[:9] == b[:9]:
        return a[:9] + "000"
    return a[:6] + "000000"


def duplicates_find(*, actor, progress=None) -> int:
    """Score the register of the actor's jurisdiction against itself and list
    the new likely pairs; returns how many were added."""
    from splink import DuckDBAPI, Linker

    from pims.registry.models import Person

    if not may_find_duplicates(actor):
        raise NotPermitted(NOT_YOURS)
    prefix = user_prefix(actor) or ""
    model = probable.match_model(prefix)
    _auto, review_min = probable.thresholds()
    db = DuckDBAPI()
    linker = Linker(
        db.register(probable.register_table(prefix), table_name="register"), model.settings, log_level=logging.ERROR
    )
    linker.table_management.compute_tf_table("name")
    if progress:
        progress(0, 1, "比对登记库")
    rows = linker.inference.predict(threshold_match_probability=review_min, warning_mode="never").as_record_list()
    found = {}
    for row in rows:
        a, b = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
        found[(a, b)] = (float(row["match_probability"]), probable.why(row))
    codes = dict(
        Person.objects.filter(pk__in={pk for pair in found for pk in pair}).values_list("pk", "registered_code")
    )
    known = set(
        DuplicatePair.objects.filter(person_a_id__in={a for a, _b in found}).values_list("person_a_id", "person_b_id")
    )
    new = [
        DuplicatePair(
            person_a_id=a,
            person_b_id=b,
            probability=round(p, 6),
            why=why,
            model=model,
            region_code=common_region(codes[a], codes[b]),
        )
        for (a, b), (p, why) in sorted(found.items())
        if (a, b) not in known
    ]
    with transaction.atomic():
        DuplicatePair.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=model,
            region_code=actor.region.code,
            detail={"what": "register_duplicates_find", "pairs": len(rows), "new": len(new)},
        )
    if progress:
        progress(1, 1, "比对登记库")
    return len(new)


def duplicate_dismiss(*, actor, pair: DuplicatePair, note: str) -> DuplicatePair:
    """Not one person: the pair leaves the queue (and is never listed again)."""
    if not note.strip():
        raise Invalid(NOTE_NEEDED, problems=[Problem(NOTE_NEEDED, field="note")])
    with transaction.atomic():
        pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
        if pair.state != DuplicatePair.State.OPEN:
            raise Conflict(NOT_OPEN)
        pair.state, pair.decided_by, pair.decided_at = DuplicatePair.State.DISMISSED, actor, timezone.now()
        pair.decision_note = note.strip()
        pair.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=pair,
            region_code=pair.region_code,
            detail={"what": "register_duplicate_dismiss"},
        )
    return pair
