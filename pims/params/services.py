"""Writes to the parameter table: amendments by the system administrator and
loading the committed seed. Rows are only ever added (pims.params.models)."""

import datetime as dt

from django.db import transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import NotPermitted

from . import seed, values
from .errors import AMEND_NOT_YOURS, AmendmentRefused
from .models import Parameter, ParameterValue
from .selectors import param_cache_clear


def may_view_parameters(user) -> bool:
    return has_capability(user, Cap.VIEW_PARAMETERS)


def may_amend_parameters(user) -> bool:
    return has_capability(user, Cap.MANAGE_PARAMETERS)


def parameter_amend(
    *,
    actor,
    key: str,
    value: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str,
    status: str,
    confirmed_by: str = "",
    note: str = "",
) -> ParameterValue:
    """Record a new value of `key` in force from `valid_from` (to `valid_to`
    inclusive, or until further notice). It takes precedence over every
    earlier row on those dates; the earlier rows stay as history.

    A value is marked verified only with the name of who confirmed it; the
    source is always required. Audited in the same transaction."""
    if not may_amend_parameters(actor):
        raise NotPermitted(AMEND_NOT_YOURS)
    source, confirmed_by, note = source.strip(), confirmed_by.strip(), note.strip()
    with transaction.atomic():
        parameter = Parameter.objects.select_for_update().filter(key=key).first()
        if parameter is None:
            raise AmendmentRefused(f"参数“{key}”不存在")
        try:
            typed = values.parse(parameter.kind, value)
        except values.BadValue as exc:
            raise AmendmentRefused(f"{parameter.title}：{exc}", "value") from None
        problem = seed.out_of_range(parameter.kind, typed, parameter.minimum, parameter.maximum)
        if problem:
            raise AmendmentRefused(f"{parameter.title}：{problem}", "value")
        if valid_to is not None and valid_to < valid_from:
            raise AmendmentRefused("失效日期不能早于生效日期", "valid_to")
        if not source:
            raise AmendmentRefused("必须填写依据来源（文件名称、文号、条款）", "source")
        if status not in ParameterValue.Status.values:
            raise AmendmentRefused("核实状态无效", "status")
        if status == ParameterValue.Status.VERIFIED and not confirmed_by:
            raise AmendmentRefused("标记为已核实时必须填写核实人", "confirmed_by")
        row = ParameterValue.objects.create(
            parameter=parameter,
            value=values.canonical(parameter.kind, typed),
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            status=status,
            confirmed_by=confirmed_by,
            note=note,
            origin=ParameterValue.Origin.AMENDMENT,
            recorded_at=clock.now(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=row,
            detail={
                "parameter": key,
                "value": row.value,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
                "status": status,
            },
        )
        # This process reads the new value at once; others within CHECK_SECONDS.
        param_cache_clear()
        transaction.on_commit(param_cache_clear)
    return row


def parameters_load(*, actor=None, username: str = "manage.py load_params") -> tuple[int, int]:
    """Load the committed seed (seed.load_seed), audited when it added
    anything. Returns (definitions created or updated, values added)."""
    with transaction.atomic():
        changed, added = seed.load_seed()
        if changed or added:
            audit_record(
                actor=actor,
                action=Action.LOAD,
                obj=("params.parameter", ""),
                username="" if actor else username,
                detail={"file": seed.SEED_FILE.name, "definitions": changed, "values": added},
            )
        param_cache_clear()
        transaction.on_commit(param_cache_clear)
    return changed, added
