"""Production refuses to start without its secrets (STYLE.md: strict settings).

Each case runs `manage.py check` in a subprocess with PIMS_ENV=production. The
subprocess runs from a temporary copy of manage.py and config/ (pims/ linked
in), so that a developer's .env beside the real manage.py — which settings.py
reads — cannot supply the variable that the case leaves out.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(settings.BASE_DIR)

PRODUCTION_ENV = {
    "PIMS_ENV": "production",
    "SECRET_KEY": "k" * 60 + "-not-a-real-secret-but-long-and-varied-0123456789",
    "ALLOWED_HOSTS": "pims.example.gov.cn",
    "FIELD_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
    "BLIND_INDEX_KEY": "YmxpbmQtaW5kZXgta2V5LWZvci10ZXN0cy0wMTIzNDU=",
    "DATABASE_URL": "postgres://pims@127.0.0.1:5432/pims",
    "AUDIT_CHAIN_KEY": "YXVkaXQtY2hhaW4ta2V5LWZvci10ZXN0cy0wMTIzNDU=",
    "BACKUP_RECIPIENTS": "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
}
REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "DATABASE_URL",
    "AUDIT_CHAIN_KEY",
    "BACKUP_RECIPIENTS",
]


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    shutil.copy(PROJECT / "manage.py", root / "manage.py")
    shutil.copytree(PROJECT / "config", root / "config", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pims").symlink_to(PROJECT / "pims", target_is_directory=True)
    assert not (root / ".env").exists()
    return root


def manage_check(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=cwd,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_starts_with_every_variable_set(project_copy):
    result = manage_check(project_copy, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_production_passes_the_deployment_checklist(project_copy):
    # The same gate as `make check-deploy` in CI: every warning is an error.
    result = manage_check(project_copy, PRODUCTION_ENV, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without(project_copy, name):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != name}
    result = manage_check(project_copy, env)
    assert result.returncode != 0
    assert name in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_an_empty(project_copy, name):
    # .env.example ships `SECRET_KEY=` etc.: a copied but unfilled file must not start.
    result = manage_check(project_copy, PRODUCTION_ENV | {name: ""})
    assert result.returncode != 0
    assert name in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FIELD_ENCRYPTION_KEYS", "abc", "is not base64"),
        ("FIELD_ENCRYPTION_KEYS", "YWJj", "must be 32 bytes"),
        ("FIELD_ENCRYPTION_KEYS", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=,abc", "is not base64"),
        ("BLIND_INDEX_KEY", "short", "at least 32"),
        ("AUDIT_CHAIN_KEY", "abc", "is not base64"),
        ("BACKUP_RECIPIENTS", "age1notakey", "not an age public key"),
        ("BLIND_INDEX_KEY", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "use the same key"),
    ],
)
def test_production_refuses_a_malformed_key(project_copy, name, value, message):
    result = manage_check(project_copy, PRODUCTION_ENV | {name: value})
    assert result.returncode != 0
    assert name in result.stderr and message in result.stderr, result.stderr[-2000:]
    assert value not in result.stderr.replace(name, "") or len(value) <= 6  # a key is never echoed whole
