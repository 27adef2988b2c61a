"""The one permission table: docs/roles.md shows it, and a change shows in review."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from pims.accounts.roles import EXPORT_ROW_LIMITS, ROLE_CAPS, Cap, Role, roles_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


def test_docs_roles_md_is_the_table():
    """Regenerate with `manage.py list_roles > docs/roles.md` after changing ROLE_CAPS."""
    assert DOC.read_text(encoding="utf-8") == roles_markdown()


def test_list_roles_prints_the_matrix():
    out = StringIO()
    call_command("list_roles", stdout=out)
    assert out.getvalue() == roles_markdown()


def test_every_role_and_capability_is_in_the_matrix():
    assert set(ROLE_CAPS) == set(Role)
    assert set().union(*ROLE_CAPS.values()) == set(Cap)
    text = roles_markdown()
    for cap in Cap:
        assert f"`{cap.value}`" in text
    for role in Role:
        assert str(role.label) in text


def test_exactly_the_exporting_roles_have_a_row_limit():
    assert set(EXPORT_ROW_LIMITS) == {role for role, caps in ROLE_CAPS.items() if Cap.EXPORT in caps}
    assert all(limit > 0 for limit in EXPORT_ROW_LIMITS.values())


def test_sysadmin_and_auditor_hold_nothing_over_personal_data():
    personal = {Cap.VIEW_PERSONAL, Cap.UNMASK_PERSONAL, Cap.EXPORT, Cap.ENTER_FORMS, Cap.EDIT_REGISTER}
    assert not ROLE_CAPS[Role.SYSADMIN] & personal
    assert ROLE_CAPS[Role.AUDITOR] == {Cap.READ_AUDIT}


def _sources():
    root = Path(settings.BASE_DIR) / "pims"
    for path in root.rglob("*.py"):
        if "tests" not in path.relative_to(root).parts and "migrations" not in path.parts:
            yield path, path.read_text(encoding="utf-8")


def test_no_predicate_combines_capabilities_or_names_roles():
    """Rights live in ROLE_CAPS: a predicate asks one capability (an OR of two
    is a hidden role table) and no module outside accounts compares roles."""
    import re

    ored = re.compile(r"has_capability\([^()]*\)\s+or\s+has_capability\(")
    role_test = re.compile(r"\.role\s*(==|!=|in\b)|Role\.[A-Z_]+\s*(==|!=)")
    found = []
    for path, text in _sources():
        flat = " ".join(text.split())
        if ored.search(flat):
            found.append(f"{path}: capabilities ORed")
        if "pims/accounts/" not in str(path) and role_test.search(text):
            found.append(f"{path}: compares roles")
    assert found == []
