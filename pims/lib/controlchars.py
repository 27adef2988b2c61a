"""Control characters in input (issue 14.5).

NUL and the other C0/C1 control characters have no place in anything a user
types or a department sends: PostgreSQL refuses NUL in text (a 500 before
this check), and the rest hide in names and codes. Tab, line feed and
carriage return stay allowed (multi-line text fields). A lone surrogate
(U+D800–U+DFFF, which JSON's ``\ud800`` escape can carry) is no character
at all: no encoder writes it (a 500 when saved or answered before this
check), so it is refused alike. Framework-free: the
request guard (pims.web.input) and the file readers use it alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# C0 without \t \n \r, DEL, C1, lone surrogates.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control(text: str) -> bool:
    return CONTROL_RE.search(text) is not None


def describe(text: str) -> str:
    """The first control character as U+XXXX, for a message."""
    found = CONTROL_RE.search(text)
    return f"U+{ord(found.group()):04X}" if found else ""


def visible(text: str) -> str:
    """`text` with each control character written as its U+XXXX (a field
    name that carries one can then be shown and encoded)."""
    return CONTROL_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def control_fields(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, character) for every string in a JSON-like value — keys
    included — that holds a control character. Paths look like
    ``members[0].name``."""
    if isinstance(value, str):
        if has_control(value):
            yield path or "body", describe(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_control(key):
                yield name, describe(key)
            yield from control_fields(item, name)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from control_fields(item, f"{path}[{index}]")
