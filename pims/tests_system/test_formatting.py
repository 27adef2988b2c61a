"""The formatter sees every line (issue 13.9): no formatter marker (fmt
skip or off) hides a file's layout from `ruff format --check`; a table that
needs a hand layout says so in review instead."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"#\s*fmt:\s*(skip|off)\b")
SKIP_DIRS = {".venv", "node_modules", ".git", "staticfiles"}


def python_files():
    for path in ROOT.rglob("*.py"):
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts):
            yield path


def test_no_formatter_markers_in_the_code():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in python_files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MARKER.search(line)
    ]
    assert found == []
