"""The committed seed of the parameter table (data/parameters.toml): read,
checked and loaded.

Loading is idempotent and additive: a definition is created or its wording
updated, a seed value is added when no seed row with the same value, dates,
source and status exists; nothing stored is changed or removed, so an
administrator's amendments survive every upgrade (amendments also take
precedence over seed rows, see pims.params.selectors)."""

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from pims.lib import clock
from pims.lib.errors import Invalid

from . import values
from .models import Kind, Parameter, ParameterValue

SEED_FILE = Path(__file__).resolve().parent / "data" / "parameters.toml"
STATUSES = {s.value for s in ParameterValue.Status}


class SeedError(Invalid, ValueError):
    pass


@dataclass(frozen=True)
class SeedValue:
    value: str  # canonical text
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    status: str
    confirmed_by: str = ""


@dataclass(frozen=True)
class SeedParameter:
    key: str
    title: str
    kind: str
    unit: str
    description: str
    minimum: str
    maximum: str
    values: tuple[SeedValue, ...] = field(default=())


def read_seed(path: Path = SEED_FILE) -> list[SeedParameter]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    out, seen = [], set()
    for i, item in enumerate(data.get("parameter", []), start=1):
        p = _parameter(item, f"{path.name} 第 {i} 个参数")
        if p.key in seen:
            raise SeedError(f"{path.name}：参数 {p.key} 重复")
        seen.add(p.key)
        out.append(p)
    return out


def _parameter(item: dict, where: str) -> SeedParameter:
    try:
        key, title, kind = item["key"], item["title"], item["kind"]
    except KeyError as exc:
        raise SeedError(f"{where}：缺少 {exc.args[0]}") from None
    if kind not in Kind.values:
        raise SeedError(f"{where}（{key}）：类型 {kind} 无效")
    bounds = {}
    for name in ("minimum", "maximum"):
        bounds[name] = "" if name not in item else _canonical(kind, item[name], f"{where}（{key}）的 {name}")
    items = [_value(kind, v, f"{where}（{key}）第 {j} 个取值") for j, v in enumerate(item.get("value", []), start=1)]
    if not items:
        raise SeedError(f"{where}（{key}）：没有取值")
    p = SeedParameter(
        key=key,
        title=title,
        kind=kind,
        unit=item.get("unit", ""),
        description=item.get("description", ""),
        values=tuple(items),
        **bounds,
    )
    for v in p.values:
        problem = out_of_range(p.kind, values.parse(kind, v.value), p.minimum, p.maximum)
        if problem:
            raise SeedError(f"{where}（{key}）：{problem}")
    return p


def _canonical(kind: str, raw, where: str) -> str:
    try:
        return values.canonical(kind, values.parse(kind, raw))
    except values.BadValue as exc:
        raise SeedError(f"{where}：{exc}") from None


def _value(kind: str, item: dict, where: str) -> SeedValue:
    for name in ("value", "valid_from", "source", "status"):
        if name not in item:
            raise SeedError(f"{where}：缺少 {name}")
    if item["status"] not in STATUSES:
        raise SeedError(f"{where}：状态 {item['status']} 无效")
    valid_from, valid_to = item["valid_from"], item.get("valid_to")
    if not isinstance(valid_from, dt.date) or (valid_to is not None and not isinstance(valid_to, dt.date)):
        raise SeedError(f"{where}：日期须写成 TOML 日期（YYYY-MM-DD，不加引号）")
    if valid_to is not None and valid_to < valid_from:
        raise SeedError(f"{where}：失效日期早于生效日期")
    return SeedValue(
        value=_canonical(kind, item["value"], where),
        valid_from=valid_from,
        valid_to=valid_to,
        source=item["source"].strip(),
        status=item["status"],
        confirmed_by=item.get("confirmed_by", ""),
    )


def out_of_range(kind: str, value, minimum: str, maximum: str) -> str:
    """The problem with `value` against the definition's range, or ""."""
    if minimum and value < values.parse(kind, minimum):
        return f"取值 {values.shown(kind, value)} 小于允许的下限 {minimum}"
    if maximum and value > values.parse(kind, maximum):
        return f"取值 {values.shown(kind, value)} 大于允许的上限 {maximum}"
    return ""


def load_seed(*, using: str = "default", path: Path = SEED_FILE) -> tuple[int, int]:
    """Store what the seed file has and the table lacks; returns
    (definitions created or updated, values added)."""
    seed = read_seed(path)
    now = clock.now()
    changed = added = 0
    with transaction.atomic(using=using):
        stored = {p.key: p for p in Parameter.objects.using(using).select_for_update()}
        for item in seed:
            parameter = stored.get(item.key)
            definition = {
                "title": item.title,
                "kind": item.kind,
                "unit": item.unit,
                "description": item.description,
                "minimum": item.minimum,
                "maximum": item.maximum,
            }
            if parameter is None:
                parameter = Parameter.objects.using(using).create(key=item.key, **definition)
                changed += 1
            elif any(getattr(parameter, k) != v for k, v in definition.items()):
                if parameter.kind != item.kind:
                    raise SeedError(f"参数 {item.key} 的类型不能从 {parameter.kind} 改为 {item.kind}")
                Parameter.objects.using(using).filter(pk=parameter.pk).update(**definition)
                changed += 1
            have = set(
                ParameterValue.objects.using(using)
                .filter(parameter=parameter, origin=ParameterValue.Origin.SEED)
                .values_list("value", "valid_from", "valid_to", "source", "status", "confirmed_by")
            )
            new = [
                ParameterValue(
                    parameter=parameter,
                    value=v.value,
                    valid_from=v.valid_from,
                    valid_to=v.valid_to,
                    source=v.source,
                    status=v.status,
                    confirmed_by=v.confirmed_by,
                    origin=ParameterValue.Origin.SEED,
                    recorded_at=now,
                )
                for v in item.values
                if (v.value, v.valid_from, v.valid_to, v.source, v.status, v.confirmed_by) not in have
            ]
            ParameterValue.objects.using(using).bulk_create(new)
            added += len(new)
    return changed, added
