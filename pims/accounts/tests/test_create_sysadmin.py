import io

import pytest
from django.core.management import CommandError, call_command

from pims.accounts.models import User
from pims.accounts.roles import Role
from pims.audit.models import Action, AuditEntry


def run(monkeypatch, *args, password="Faku-first-admin-2026"):  # noqa: S107  (test account)
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_sysadmin", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_creates_an_audited_sysadmin_of_the_region(monkeypatch, regions):
    out = run(monkeypatch, "admin1", "--region", regions["county"].code)
    user = User.objects.get(username="admin1")
    assert (
        user.role == Role.SYSADMIN and user.region == regions["county"] and user.check_password("Faku-first-admin-2026")
    )
    assert "已创建系统管理员 admin1" in out
    assert AuditEntry.objects.filter(action=Action.CREATE, region_code=regions["county"].code).exists()


def test_unknown_region_and_weak_password_are_refused_with_the_reason(monkeypatch, regions):
    with pytest.raises(CommandError, match="区划代码 999999999999 不存在"):
        run(monkeypatch, "admin1", "--region", "999999999999")
    with pytest.raises(CommandError, match="password"):
        run(monkeypatch, "admin1", "--region", regions["county"].code, password="123")
    assert not User.objects.filter(username="admin1").exists()
