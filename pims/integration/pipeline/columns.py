"""Stage 'read' for the departmental sources: a source's header set, and
the file's headers resolved onto it (a mapping file lets other header sets
in, as for the police extract: ``{"their header": "our header or key"}``).

The police extract keeps its own header set (pims.integration.format)."""

import re
from dataclasses import dataclass

from pims.integration.format import MappingError


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    text_only: bool = False  # an identifier: a numeric spreadsheet cell is refused


def clean_header(text) -> str:
    return re.sub(r"\s+", "", str(text or "")).replace("（", "(").replace("）", ")")


def resolve(columns: list[Column], headers: list, mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Column key → index in the file. Raises MappingError naming the
    missing required columns or a column given twice."""
    lookup = {clean_header(name): c.key for c in columns for name in (c.header, c.key, *c.aliases)}
    for theirs, ours in (mapping or {}).items():
        target = lookup.get(clean_header(ours))
        if target is None:
            raise MappingError(f"列映射中的“{ours}”不是本类文件的列")
        lookup[clean_header(theirs)] = target
    found: dict[str, int] = {}
    for i, header in enumerate(headers):
        key = lookup.get(clean_header(header))
        if key is None:
            continue
        if key in found:
            raise MappingError(f"“{header}”与第 {found[key] + 1} 列是同一列")
        found[key] = i
    missing = [c.header for c in columns if c.required and c.key not in found]
    if missing:
        raise MappingError("缺少必需的列：" + "、".join(missing))
    return found


def text_only(columns: list[Column], resolved: dict[str, int]) -> frozenset[int]:
    keys = {c.key for c in columns if c.text_only}
    return frozenset(i for key, i in resolved.items() if key in keys)


def cell_reader(cells: list[str], resolved: dict[str, int]):
    """`cell(key)`: the row's stripped text in that column ("" when the file has none)."""

    def cell(key: str) -> str:
        i = resolved.get(key)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return cell
