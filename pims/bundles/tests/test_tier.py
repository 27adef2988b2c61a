"""At the province the county's data is read-only except through bundles."""

import pytest
from django.urls import reverse

from pims.accounts.roles import COUNTY_WRITE_CAPS, ROLE_CAPS, Cap, has_capability

pytestmark = pytest.mark.django_db


def test_no_role_writes_county_data_at_the_province(settings, personas):
    settings.PIMS_TIER = "province"
    for name, user in personas.items():
        for cap in ROLE_CAPS.get(user.role, set()) & COUNTY_WRITE_CAPS:
            assert not has_capability(user, cap), (name, cap)
    assert has_capability(personas["county"], Cap.VIEW_REPORTS)
    settings.PIMS_TIER = "county"
    assert has_capability(personas["county"], Cap.EDIT_REGISTER)


def test_the_entry_pages_are_closed_at_the_province(settings, client_for, regions):
    url = reverse("registry:household_create") + f"?village={regions['village_a1'].code}"
    assert client_for("operator").get(url).status_code == 200
    settings.PIMS_TIER = "province"
    for name in ("clerk", "operator", "county"):
        assert client_for(name).get(url).status_code == 404, name
    assert client_for("county").get(reverse("stats:index")).status_code == 200
