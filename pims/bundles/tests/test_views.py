import pytest
from django.core.management import call_command
from django.urls import reverse

from pims.bundles.models import Bundle, BundleState, Direction, Peer

pytestmark = pytest.mark.django_db


def test_county_exports_from_the_page_and_sees_the_bundle(instances, february, client_for, settings):
    settings.PIMS_JOB_RUNNER = "inline"
    county = client_for("county")
    page = county.get(reverse("bundles:overview")).content.decode()
    assert "210124101000 2027-02" in page and 'data-testid="export"' in page
    county.post(reverse("bundles:export_start"))
    bundle = Bundle.objects.get(direction=Direction.OUT)
    assert bundle.state == BundleState.EXPORTED and bundle.periods == [["210124101000", "2027-02"]]
    page = county.get(reverse("bundles:overview")).content.decode()
    assert 'data-state="exported"' in page and 'data-testid="export"' not in page


@pytest.mark.parametrize("who", ["clerk", "operator", "reviewer", "outsider", "sysadmin", "auditor"])
def test_only_county_and_province_roles_see_bundles(client_for, who, regions):
    client = client_for(who)
    assert client.get(reverse("bundles:overview")).status_code == 404
    assert client.post(reverse("bundles:export_start")).status_code == 404


def test_keys_commands_set_up_and_trust(settings, tmp_path, regions):
    settings.BUNDLE_DIR = tmp_path / "a"
    call_command("bundle_keys", "init")
    assert oct((tmp_path / "a" / "keys").stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in (tmp_path / "a" / "keys").iterdir())
    call_command("bundle_keys", "public", str(tmp_path / "a.json"), "--county", regions["county"].code)
    call_command("bundle_keys", "trust", str(tmp_path / "a.json"))
    call_command("bundle_keys", "rotate")
    call_command("bundle_keys", "public", str(tmp_path / "a2.json"), "--county", regions["county"].code)
    call_command("bundle_keys", "trust", str(tmp_path / "a2.json"))
    assert Peer.objects.filter(tier="county", county_code=regions["county"].code).count() == 2
    (tmp_path / "bad.json").write_text('{"format": "x"}')
    with pytest.raises(Exception, match="格式不对"):
        call_command("bundle_keys", "trust", str(tmp_path / "bad.json"))


def test_the_province_sees_each_countys_upload_status(instances, february, regions, client):
    from pims.accounts.roles import Role
    from pims.bundles import services
    from pims.testing.fixtures import login, make_user

    from .conftest import bundle_bytes

    data = bundle_bytes(services.bundle_export(county_code=regions["county"].code))
    with instances["province"]():
        services.bundle_import(data=data, name="b1")
        viewer = make_user("province_viewer", Role.PROVINCE_VIEWER, regions["province"])
        login(client, viewer)
        page = client.get(reverse("bundles:overview")).content.decode()
    assert 'data-county="210124000000"' in page and "#1" in page and "2027-02" in page
