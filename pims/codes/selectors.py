from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from .loader import ALIAS_SEPARATOR, ALIASES
from .models import Code, CodeTable, CodeVersion


def code_table_list() -> QuerySet[CodeTable]:
    return CodeTable.objects.all()


def code_table_list_with_current() -> QuerySet[CodeTable]:
    """Tables annotated with `current_number`, `code_count` (current version) and `version_count`."""
    current = Q(versions__is_current=True)
    return CodeTable.objects.annotate(
        current_number=Max("versions__number", filter=current),
        code_count=Count("versions__codes", filter=current),
        version_count=Count("versions", distinct=True),
    )


def code_table_get(key: str) -> CodeTable:
    try:
        return CodeTable.objects.get(key=key)
    except CodeTable.DoesNotExist:
        raise Http404 from None


def current_version(table_key: str) -> CodeVersion | None:
    return CodeVersion.objects.filter(table__key=table_key, is_current=True).first()


def current_codes(table_key: str) -> QuerySet[Code]:
    return Code.objects.filter(version__table__key=table_key, version__is_current=True).order_by("sort", "code")


def code_map(table_key: str) -> dict[str, str]:
    """code -> name for the current version of a table."""
    return dict(current_codes(table_key).values_list("code", "name"))


def code_versions(table: CodeTable) -> QuerySet[CodeVersion]:
    return table.versions.select_related("created_by").annotate(code_count=Count("codes")).order_by("-number")


def code_version_get(table: CodeTable, number: int | None) -> CodeVersion | None:
    """The numbered version (404 if there is none), or the current one when number is None."""
    if number is None:
        return table.versions.filter(is_current=True).first()
    try:
        return table.versions.get(number=number)
    except CodeVersion.DoesNotExist:
        raise Http404 from None


# Per-process cache of a version's codes. Keyed by the version's id and
# checksum: a new version has a new key, so a stale entry is never read (and
# the service clears the cache on commit anyway). Finding the current version
# still costs one small query, which keeps processes consistent with each other.
_CACHE: dict[tuple[int, str], tuple[Code, ...]] = {}
_CACHE_LIMIT = 200


def code_cache_clear() -> None:
    from .names import names_cache_clear

    _CACHE.clear()
    names_cache_clear()


def _current_entries(table_key: str) -> tuple[Code, ...]:
    version = current_version(table_key)
    if version is None:
        return ()
    key = (version.pk, version.checksum)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = tuple(version.codes.order_by("sort", "code"))
    return _CACHE[key]


def code_aliases(code: Code) -> list[str]:
    """The other names the code manual gives a code (民族 01: "汉")."""
    return [a.strip() for a in str(code.extra.get(ALIASES, "")).split(ALIAS_SEPARATOR) if a.strip()]


def code_text_map(table_key: str) -> dict[str, str]:
    """Every text that stands for exactly one code of the current version —
    its code, its name, its aliases — mapped to the code. What an input path
    (a form, a file import) accepts for a code item; anything else is not a
    code of the table. The loader refuses an alias that could mean two codes."""
    out: dict[str, str] = {}
    entries = _current_entries(table_key)
    for c in entries:
        out.setdefault(c.name, c.code)
        for alias in code_aliases(c):
            out.setdefault(alias, c.code)
    for c in entries:  # a code always stands for itself
        out[c.code] = c.code
    return out


def code_for_text(table_key: str, text: str | None) -> str | None:
    """The code `text` names (a code, a name or an alias), else None."""
    return code_text_map(table_key).get((text or "").strip()) if text else None


def code_lookup(table_key: str, text: str) -> list[Code]:
    """Codes of the current version matching `text` as a code, an exact name
    or alias, or pinyin initials (a prefix, so 'h' finds 汉族 and 回族); exact
    code matches first, then names and aliases, then initials. Meant for
    keyboard-friendly entry."""
    query = text.strip()
    if not query:
        return []
    entries = _current_entries(table_key)
    lowered = query.lower()
    ranked = [
        [c for c in entries if c.code.lower() == lowered],
        [c for c in entries if c.name == query or query in code_aliases(c)],
        [c for c in entries if c.initials == lowered],
        [c for c in entries if c.initials.startswith(lowered)],
    ]
    found: dict[str, Code] = {}
    for group in ranked:
        for entry in group:
            found.setdefault(entry.code, entry)
    return list(found.values())


def code_is_valid(table_key: str, code: str | None) -> bool:
    """True when `code` is a code of the table's current version."""
    return bool(code) and any(c.code == code for c in _current_entries(table_key))
