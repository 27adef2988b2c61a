import pytest
from django.http import Http404

from pims.accounts.roles import Role
from pims.accounts.selectors import access_user, assignable_regions_for, user_list_visible_to
from pims.accounts.services import user_create


def test_sysadmin_sees_users_of_own_subtree(personas):
    names = set(user_list_visible_to(user=personas["sysadmin"]).values_list("username", flat=True))
    assert names == {p.username for p in personas.values()}


@pytest.mark.parametrize("name", ["clerk", "operator", "reviewer", "auditor", "outsider"])
def test_other_roles_see_no_users(personas, name):
    assert not user_list_visible_to(user=personas[name]).exists()
    with pytest.raises(Http404):
        access_user(personas[name], personas["clerk"].pk)


def test_township_sysadmin_sees_only_township(personas, regions):
    admin_b = user_create(
        actor=None, username="admin_b", password="Kp7-wq2m-Vt9x", role=Role.SYSADMIN, region=regions["township_b"]
    )
    names = set(user_list_visible_to(user=admin_b).values_list("username", flat=True))
    assert names == {"admin_b", "outsider_b"}
    with pytest.raises(Http404):
        access_user(admin_b, personas["clerk"].pk)
    assert {r.code for r in assignable_regions_for(user=admin_b)} == {"210124102000", "210124102200"}


def test_access_user_404_for_missing(personas):
    with pytest.raises(Http404):
        access_user(personas["sysadmin"], 999999)
    assert access_user(personas["sysadmin"], personas["clerk"].pk) == personas["clerk"]


def test_inactive_sysadmin_sees_nothing(personas):
    admin = personas["sysadmin"]
    admin.is_active = False
    assert not user_list_visible_to(user=admin).exists()
