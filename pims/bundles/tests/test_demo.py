"""`make tiers`' county half (pims.bundles.demo): the demo township's last
month is approved and accepted, so its first bundle carries the township."""

from io import StringIO

import pytest
from django.test import override_settings

from pims.accounts.demo import TOWNSHIP
from pims.approval.models import ApprovalState, PeriodApproval
from pims.bundles import demo, export
from pims.lib import clock
from pims.lib.errors import Refused
from pims.regions.models import Region
from pims.registry.models import Person


@pytest.mark.django_db
def test_county_demo_accepts_last_month_of_the_demo_township():
    period = demo.county_demo(stdout=StringIO())

    assert period == demo.last_month(clock.today())[0] < clock.today().isoformat()[:7]
    accepted = PeriodApproval.objects.get(region_code=TOWNSHIP, period=period)
    assert accepted.state == ApprovalState.ACCEPTED
    county = Region.objects.get(code=TOWNSHIP[:6] + "000000")
    assert [m.region_code for m in export.new_months(county)] == [TOWNSHIP]
    chosen = export.select(county, export.new_months(county)).objects
    travelling = {p.pk for p in chosen["registry.Person"]}
    township_people = set(Person.objects.filter(responsible_code__startswith=TOWNSHIP[:9]).values_list("pk", flat=True))
    assert township_people and township_people <= travelling

    demo.county_demo(stdout=StringIO())  # a second start changes nothing
    assert PeriodApproval.objects.filter(region_code__startswith=county.prefix).count() == 1


@pytest.mark.django_db
@override_settings(PIMS_ENV="production")
def test_county_demo_refuses_production():
    with pytest.raises(Refused, match="生产环境"):
        demo.county_demo(stdout=StringIO())
    assert not Person.objects.exists()
