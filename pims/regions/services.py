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
    from pims.events.rekey import RekeyPlan

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


# --- merges and splits of villages (区划调整): the register is re-keyed through events ------

CHANGE_INVALID = gettext_lazy("请写明依据（至少 4 个字），生效日期不能晚于今天")


@dataclass
class VillagePart:
    """A village a merge or split leads to: an existing one, or a new code and name."""

    code: str
    name: str = ""


def _check_change(actor: User, regions: list[Region], effective: date, basis: str) -> None:
    from pims.lib import clock
    from pims.lib.errors import Invalid, NotPermitted
    from pims.regions.scope import code_in_scope

    if not may_rename_regions(actor) or not all(code_in_scope(actor, r.code) for r in regions):
        raise NotPermitted(RENAME_NOT_YOURS)
    if len((basis or "").strip()) < 4 or len(basis) > 250 or effective > clock.today():
        raise Invalid(CHANGE_INVALID)


def _villages_of(township: Region, parts: list[VillagePart], *, existing_ok: bool) -> tuple[list[Region], list[str]]:
    """The parts as regions (new ones not yet saved) and the problems."""
    from .models import Level

    out, problems = [], []
    active = {r.code: r for r in township.children.filter(level=Level.VILLAGE, valid_to__isnull=True)}
    for part in parts:
        code, name = part.code.strip(), part.name.strip()
        if code in active and existing_ok:
            out.append(active[code])
        elif not (code.isdigit() and len(code) == 12 and code.startswith(township.prefix)):
            problems.append(
                _("新村代码 %(code)s 应为本乡镇下的 12 位代码（%(prefix)s…）")
                % {"code": code, "prefix": township.prefix}
            )
        elif Region.objects.filter(code=code).exists():
            problems.append(_("代码 %(code)s 已被使用（含已撤销的区划），不能再用于新村") % {"code": code})
        elif not 2 <= len(name) <= 100:
            problems.append(_("新村 %(code)s 须有名称（2 至 100 个字）") % {"code": code})
        else:
            out.append(Region(code=code, name=name, level=Level.VILLAGE, parent=township))
    return out, problems


def _plan(sources: list[Region], moves: dict[int, Region], problems: list[str]) -> RekeyPlan:
    from pims.events.periods import period_of
    from pims.events.rekey import rekey_plan
    from pims.lib import clock

    plan = rekey_plan(sources=sources, moves=moves, period=period_of(clock.today()))
    plan.problems = problems + plan.problems
    return plan


def _households_of(regions: list[Region]) -> list[int]:
    from pims.registry.models import Household

    return list(Household.objects.filter(village__in=[r for r in regions if r.pk]).values_list("pk", flat=True))


def region_merge_plan(
    *, township: Region, sources: list[Region], target: VillagePart
) -> tuple[RekeyPlan, Region | None]:
    """The preview of merging `sources` (villages of one township) into
    `target` (another village of it, or a new one)."""
    from .models import Level

    problems = []
    if not sources or any(s.parent_id != township.pk or s.level != Level.VILLAGE or s.valid_to for s in sources):
        problems.append(_("请选择本乡镇下要合并的有效村"))
    villages, found = _villages_of(township, [target], existing_ok=True)
    problems += found
    goal = villages[0] if villages else None
    if goal is not None and goal.pk and goal.pk in {s.pk for s in sources}:
        problems.append(_("合并后的村不能是被合并的村之一：要保留一个村的代码，请不要勾选它"))
    moves = dict.fromkeys(_households_of(sources), goal) if goal is not None else {}
    return _plan(sources, moves, problems), goal


def region_split_plan(
    *, village: Region, parts: list[VillagePart], assignment: dict[int, str]
) -> tuple[RekeyPlan, list[Region]]:
    """The preview of splitting `village` into `parts` (new villages or
    existing ones of the township); `assignment` household id → part code
    (households not named go to the first part)."""
    township = village.parent
    if township is None:
        raise ValueError("a village has a township")
    problems: list[str] = []
    villages, found = _villages_of(township, parts, existing_ok=True)
    problems += found
    if len(parts) < 2:
        problems.append(_("拆分至少要有两个新村"))
    if any(v.pk == village.pk for v in villages):
        problems.append(_("拆分后的村不能是被拆分的村本身"))
    by_code = {v.code: v for v in villages}
    moves: dict[int, Region] = {}
    if villages:
        for pk in _households_of([village]):
            moves[pk] = by_code.get(assignment.get(pk, ""), villages[0])
    return _plan([village], moves, problems), villages


def _change_apply(
    *,
    actor: User,
    plan: RekeyPlan,
    sources: list[Region],
    created: list[Region],
    effective: date,
    basis: str,
    what: str,
    target_codes: list[str],
) -> dict[str, int]:
    from pims.events.rekey import rekey_apply

    with transaction.atomic():
        for region in created:
            region.valid_from = effective
            region.save()
            RegionHistory.objects.create(
                region=region,
                change=RegionHistory.Change.CREATED,
                new_value=region.name,
                effective=effective,
                source=_("系统管理·区划%(what)s：%(basis)s") % {"what": _label(what), "basis": basis},
            )
        for pk, region in list(plan.moves.items()):
            if region.pk is None:
                plan.moves[pk] = next(c for c in created if c.code == region.code)
        counts = rekey_apply(actor=actor, plan=plan, effective=effective, basis=basis, what=what)
        change = RegionHistory.Change.MERGED if what == "merge" else RegionHistory.Change.SPLIT
        for region in sources:
            locked = Region.objects.select_for_update().get(pk=region.pk)
            locked.valid_to = effective
            locked.save(update_fields=["valid_to"])
            RegionHistory.objects.create(
                region=locked,
                change=change,
                old_value=locked.name,
                new_value="、".join(target_codes),
                effective=effective,
                source=_("系统管理·区划%(what)s：%(basis)s") % {"what": _label(what), "basis": basis},
            )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=sources[0],
            region_code=sources[0].parent.code if sources[0].parent else sources[0].code,
            detail={
                "what": f"region_{what}",
                "from": [s.code for s in sources],
                "to": target_codes,
                "valid_from": str(effective),
                "reason": basis,
                "mapping": [list(r) for r in plan.rows()],
                **counts,
            },
        )
    return counts


def _label(what: str) -> str:
    return str(_("合并") if what == "merge" else _("拆分"))


def region_merge(
    *, actor: User, township: Region, sources: list[Region], target: VillagePart, effective: date, basis: str
) -> dict[str, int]:
    """Merge villages of a township into one (an existing village or a new
    code): every household, person and open spell moves through events
    (pims.events.rekey), the merged villages are retired with the history
    naming the target, audited with the old → new mapping."""
    basis = (basis or "").strip()
    _check_change(actor, [township, *sources], effective, basis)
    plan, goal = region_merge_plan(township=township, sources=sources, target=target)
    from pims.lib.errors import Invalid

    if plan.problems or goal is None:
        raise Invalid(plan.problems)
    created: list[Region] = [goal] if goal.pk is None else []
    return _change_apply(
        actor=actor,
        plan=plan,
        sources=sources,
        created=created,
        effective=effective,
        basis=basis,
        what="merge",
        target_codes=[goal.code],
    )


def region_split(
    *, actor: User, village: Region, parts: list[VillagePart], assignment: dict[int, str], effective: date, basis: str
) -> dict[str, int]:
    """Split a village into parts (new codes or existing villages of the
    township), each household to the part it is assigned; the village is
    retired, the rest as for a merge."""
    basis = (basis or "").strip()
    _check_change(actor, [village], effective, basis)
    plan, villages = region_split_plan(village=village, parts=parts, assignment=assignment)
    from pims.lib.errors import Invalid

    if plan.problems:
        raise Invalid(plan.problems)
    created = [v for v in villages if v.pk is None]
    return _change_apply(
        actor=actor,
        plan=plan,
        sources=[village],
        created=created,
        effective=effective,
        basis=basis,
        what="split",
        target_codes=[v.code for v in villages],
    )
