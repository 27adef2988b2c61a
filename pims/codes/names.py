"""Names, not codes, wherever a person reads: the one helper.

    code_name("marital_status", "20")      # "已婚"
    code_name("relationship", "02")        # "户主" — a register field name works too
    code_label("marital_status", "20")     # "已婚（20）", for experts (review pages, exports)
    {% load codes %}{{ p.marital_status|code_name:"marital_status" }}

An unknown code comes back as the code itself (never a blank): the page still
shows what is stored. Names come from the code manual's current version
(pims.codes), held per process for a few seconds, so a page that names fifty
codes costs one query per table, not fifty.
"""

from __future__ import annotations

import time

from .models import Code

# Register fields (persons, events' payloads) → the code table holding their codes.
FIELD_TABLES: dict[str, str] = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "relationship": "family_relationship",
    "marital_status": "marital_status",
    "education": "education",
    "occupation": "occupation",
    "hukou_type": "household_registration_type",
    "no_id_reason": "no_id_reason",
    "contraceptive_method": "contraceptive_method",
    "method": "contraceptive_method",
    "outcome": "pregnancy_outcome",
    "flow_reason": "flow_reason",
    "residence_status": "residence_status",
    "hh_type": "household_type",
    "status": "person_status",
    "source": "event_source",
    "event_type": "event_type",
}

CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, dict[str, str]]] = {}


def table_for(key: str) -> str:
    """A table key, or a register field name mapped to its table."""
    return FIELD_TABLES.get(key, key)


def code_names(key: str) -> dict[str, str]:
    """code → name of the table's current version (cached briefly)."""
    table = table_for(key)
    hit = _cache.get(table)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    names = dict(Code.objects.filter(version__table__key=table, version__is_current=True).values_list("code", "name"))
    _cache[table] = (now, names)
    return names


def code_name(key: str, code: object) -> str:
    """The code's name; the code itself when the manual has no such code; "" for none."""
    if code is None or code == "":
        return ""
    text = str(code)
    return code_names(key).get(text, text)


def code_label(key: str, code: object) -> str:
    """ "name（code）" — the name with the code beside it, for experts."""
    name = code_name(key, code)
    text = "" if code is None else str(code)
    return name if not text or name == text else f"{name}（{text}）"


def names_cache_clear() -> None:
    _cache.clear()
