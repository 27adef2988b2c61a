import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from pims.accounts.demo import DEMO_USERS, ensure_demo_users
from pims.accounts.roles import Role


def test_creates_each_demo_user_once(regions):
    first = ensure_demo_users()
    second = ensure_demo_users()
    assert first == second
    User = get_user_model()
    names = [u for u, *_ in DEMO_USERS]
    assert User.objects.filter(username__in=names).count() == len(names) == 9
    outsider = User.objects.get(username="outsider")
    assert outsider.region.code == "210124102000" and outsider.role == Role.TOWNSHIP_OPERATOR
    for row in first:
        user = User.objects.get(username=row["username"])
        assert user.check_password(row["password"])
        assert row["region_name"] == user.region.name
        assert row["role_label"] == user.get_role_display()


def test_refuses_in_production(regions, settings):
    settings.PIMS_ENV = "production"
    with pytest.raises(CommandError):
        ensure_demo_users()
    assert not get_user_model().objects.exists()
