from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from pims.regions.models import Region
from pims.web.management.commands.setup_demo import login_table


@pytest.mark.django_db
def test_setup_demo_loads_everything_and_is_idempotent():
    out = StringIO()
    call_command("setup_demo", stdout=out)
    text = out.getvalue()
    assert "Demo ready." in text
    users = get_user_model().objects.count()
    regions = Region.objects.count()
    assert regions > 100
    assert "operator" in text and "大孤家子镇" in text  # the login table

    call_command("setup_demo", stdout=StringIO())
    assert get_user_model().objects.count() == users
    assert Region.objects.count() == regions


@pytest.mark.django_db
@override_settings(PIMS_ENV="production", PRODUCTION=True)
def test_setup_demo_refuses_production():
    with pytest.raises(CommandError, match="production"):
        call_command("setup_demo", stdout=StringIO())
    assert get_user_model().objects.count() == 0


def test_login_table_aligns_chinese_columns():
    table = login_table(
        [
            {"username": "clerk", "password": "pw-1", "role_label": "村信息员", "region_name": "大孤家子村委会"},
            {"username": "county", "password": "pw-22", "role_label": "县管理员", "region_name": "法库县"},
        ]
    ).splitlines()
    assert table[0].startswith("用户名")
    assert table[2].index("pw-1") == table[3].index("pw-22")


@pytest.mark.django_db
def test_setup_demo_full_asks_for_the_full_population(monkeypatch):
    """--full seeds at the full scale (the load itself is not run here: minutes)."""
    import pims.registry.demo as demo

    asked = []

    def fake_seed(*, scale=None, stdout=None):
        asked.append(scale)
        return f"seeded {scale}"

    monkeypatch.setattr(demo, "seed_demo", fake_seed)
    out = StringIO()
    call_command("setup_demo", "--full", stdout=out)
    call_command("setup_demo", stdout=StringIO())
    assert asked == ["full", None]
    assert "seeded full" in out.getvalue() and "340,000" in out.getvalue()
    # The full scale over Faku's villages is the county's real size.
    from pims.synth.selectors import villages_under

    assert 330_000 < demo.SCALES["full"] * len(villages_under([demo.COUNTY])) < 360_000
