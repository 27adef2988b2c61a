"""Writes to the region tree. Regions are never deleted: the loader renames,
reparents, retires and restores them, and records each change as history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.audit.models import Action
from pims.audit.services import audit_record

from .loader import RegionFile, RegionRow
from .models import LEVEL_ORDER, Region, RegionHistory

if TYPE_CHECKING:
    from pims.accounts.models import User

COUNT_KEYS = ["created", "renamed", "reparented", "retired", "restored", "unchanged", "skipped"]
_CHUNK = 500


@dataclass
class FileResult:
    file: str
    counts: Counter[str] = field(default_factory=Counter)
    skipped_codes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {key: self.counts[key] for key in COUNT_KEYS}


def regions_load(*, actor: User | None, files: list[RegionFile], effective: date) -> list[FileResult]:
    """Apply parsed region files in order, in one transaction, with one audit entry.

    Each file is checked against the database (parents exist, are active and
    one level up) before anything of it is written; any error rolls back the
    whole load, earlier files included. Re-loading the same files changes nothing.
    """
    with transaction.atomic():
        results = [_apply_file(file, effective=effective) for file in files]
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=("regions.region", ""),
            username="" if actor else "manage.py load_regions",
            detail={
                "files": [r.file for r in results],
                "effective": effective.isoformat(),
                "counts": {r.file: r.summary() for r in results},
            },
        )
    return results


def _apply_file(file: RegionFile, *, effective: date) -> FileResult:
    result = FileResult(file=file.name, skipped_codes=[r.short_code for r in file.skipped])
    result.counts["skipped"] = len(file.skipped)
    existing = _existing_regions({r.code for r in file.rows} | {r.parent_code for r in file.rows if r.parent_code})
    _check_parents(file, existing)
    history: list[RegionHistory] = []
    source = file.name
    preexisting = set(existing)
    # New regions first: an existing region may move under a parent that is new in this file.
    _create_new(file, existing, result, history, effective, source)
    _update_existing(file, existing, preexisting, result, history, effective, source)
    _retire_absent(file, result, history, effective, source)
    RegionHistory.objects.bulk_create(history, batch_size=_CHUNK)
    return result


def _existing_regions(codes: set[str]) -> dict[str, Region]:
    codes_list = sorted(codes)
    found: dict[str, Region] = {}
    for start in range(0, len(codes_list), _CHUNK):
        for region in Region.objects.filter(code__in=codes_list[start : start + _CHUNK]):
            found[region.code] = region
    return found


def _check_parents(file: RegionFile, existing: dict[str, Region]) -> None:
    """Each parent is an earlier row of the file or an active region one level up."""
    # Short codes: their length fixes the level, so an earlier row is one level up.
    earlier: set[str] = set()
    for row in file.rows:
        if row.short_parent and row.short_parent not in earlier:
            _check_db_parent(file, row, existing.get(row.parent_code or ""))
        earlier.add(row.short_code)


def _check_db_parent(file: RegionFile, row: RegionRow, parent: Region | None) -> None:
    if parent is None:
        problem = _("上级代码 %(p)s 不存在（须已在库中或在本文件前面的行中）") % {"p": row.short_parent}
    elif LEVEL_ORDER.index(parent.level) != LEVEL_ORDER.index(row.level) - 1:
        problem = _("上级 %(p)s 的级别是 %(level)s，不是本行的上一级") % {"p": row.short_parent, "level": parent.level}
    elif not parent.is_active:
        problem = _("上级 %(p)s 已撤销") % {"p": row.short_parent}
    else:
        return
    raise file.error(row.line, problem)


def _history(region: Region, change: str, effective: date, source: str, old: str = "", new: str = "") -> RegionHistory:
    return RegionHistory(region=region, change=change, old_value=old, new_value=new, effective=effective, source=source)


def _update_existing(
    file: RegionFile,
    existing: dict[str, Region],
    preexisting: set[str],
    result: FileResult,
    history: list[RegionHistory],
    effective: date,
    source: str,
) -> None:
    """Rename, reparent and restore regions that were in the database before this file."""
    changed: list[Region] = []
    for row in file.rows:
        if row.code not in preexisting:
            continue
        region = existing[row.code]
        before = len(history)
        if region.name != row.name:
            history.append(_history(region, RegionHistory.Change.RENAMED, effective, source, region.name, row.name))
            result.counts["renamed"] += 1
            region.name = row.name
        parent = existing.get(row.parent_code) if row.parent_code else None
        if region.parent_id != (parent.pk if parent else None):
            old = region.parent.code if region.parent else ""
            new = row.parent_code or ""
            history.append(_history(region, RegionHistory.Change.REPARENTED, effective, source, old, new))
            result.counts["reparented"] += 1
            region.parent = parent
        if region.valid_to is not None:
            history.append(_history(region, RegionHistory.Change.RESTORED, effective, source, str(region.valid_to)))
            result.counts["restored"] += 1
            region.valid_to = None
        if len(history) > before:
            changed.append(region)
        else:
            result.counts["unchanged"] += 1
    Region.objects.bulk_update(changed, ["name", "parent", "valid_to"], batch_size=_CHUNK)


def _create_new(
    file: RegionFile,
    existing: dict[str, Region],
    result: FileResult,
    history: list[RegionHistory],
    effective: date,
    source: str,
) -> None:
    """Create new regions level by level, so a parent has its id before its children."""
    new_rows = [row for row in file.rows if row.code not in existing]
    for level in LEVEL_ORDER:
        regions = [
            Region(
                code=row.code,
                name=row.name,
                level=row.level,
                parent=existing.get(row.parent_code) if row.parent_code else None,
                valid_from=effective,
            )
            for row in new_rows
            if row.level == level
        ]
        Region.objects.bulk_create(regions, batch_size=_CHUNK)
        for region in regions:
            existing[region.code] = region
            history.append(_history(region, RegionHistory.Change.CREATED, effective, source, new=region.name))
        result.counts["created"] += len(regions)


def _retire_scope(file: RegionFile) -> Q:
    """What the file covers: its levels under the parents it does not itself list.

    A county's village file covers townships and villages under that county;
    the national file (it lists the provinces) covers province, city and county
    rows everywhere. Regions outside the scope are never retired by this file.
    """
    codes = {row.code for row in file.rows}
    roots = {row.short_parent for row in file.rows if row.parent_code not in codes}
    scope = Q(level__in={row.level for row in file.rows}, valid_to__isnull=True)
    if None in roots:
        return scope
    under = Q(pk__in=[])
    for prefix in roots:
        under |= Q(code__startswith=prefix)
    return scope & under


def _retire_absent(
    file: RegionFile, result: FileResult, history: list[RegionHistory], effective: date, source: str
) -> None:
    listed = {row.code for row in file.rows}
    retired = [region for region in Region.objects.filter(_retire_scope(file)) if region.code not in listed]
    for region in retired:
        region.valid_to = effective
        history.append(_history(region, RegionHistory.Change.RETIRED, effective, source, region.name))
    Region.objects.bulk_update(retired, ["valid_to"], batch_size=_CHUNK)
    result.counts["retired"] = len(retired)


# --- the region screen (系统管理 › 行政区划) ------------------------------------------------

RENAME_NOT_YOURS = gettext_lazy("只有系统管理员可以修改本辖区的区划名称")
RENAME_INVALID = gettext_lazy("新名称须为 2 至 100 个字且与原名称不同，并写明依据（至少 4 个字）")


def may_rename_regions(user: User | None) -> bool:
    from pims.accounts.roles import Cap, has_capability

    return has_capability(user, Cap.EDIT_CODES)


def region_rename(*, actor: User, region: Region, name: str, effective: date, basis: str) -> Region:
    """Rename a region (更名): the code stays, so every household, person and
    spell under it keeps pointing at it; the old name stays in the history
    with the date and the basis (e.g. the approval document), audited."""
    from pims.lib.errors import Invalid, NotPermitted
    from pims.regions.scope import code_in_scope

    if not may_rename_regions(actor) or not code_in_scope(actor, region.code):
        raise NotPermitted(RENAME_NOT_YOURS)
    name, basis = (name or "").strip(), (basis or "").strip()
    if not 2 <= len(name) <= 100 or name == region.name or len(basis) < 4 or len(basis) > 250:
        raise Invalid(RENAME_INVALID)
    with transaction.atomic():
        locked = Region.objects.select_for_update().get(pk=region.pk)
        old = locked.name
        locked.name = name
        locked.save(update_fields=["name"])
        RegionHistory.objects.create(
            region=locked,
            change=RegionHistory.Change.RENAMED,
            old_value=old,
            new_value=name,
            effective=effective,
            source=_("系统管理·区划更名：%(basis)s") % {"basis": basis},
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            region_code=locked.code,
            detail={
                "what": "region_rename",
                "before": old,
                "after": name,
                "valid_from": str(effective),
                "reason": basis,
            },
        )
    return locked
