import datetime as dt

import pytest
from django.utils import timezone

from pims.approval import services
from pims.approval.models import PeriodApproval
from pims.events.models import Spell
from pims.registry.models import FormState
from pims.registry.tests.factories import make_household
from pims.stats import selectors as stats
from pims.stats.frame import Params

from .conftest import PERIOD

pytestmark = pytest.mark.django_db


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(11)), timezone.get_default_timezone())


def _uploaded(user, region) -> int:
    result = stats.report_run(
        user=user, key="progress", code=region.code, params=Params(PERIOD, PERIOD, Spell.Kind.REGISTERED)
    )
    total = result.sections[0].total
    assert total is not None
    return total.values["uploaded"]


def test_uploaded_counts_the_approved_forms_of_uploaded_months(personas, regions, month_done):
    village = regions["village_a1"]
    make_household(village, number="0101", form_state=FormState.APPROVED, approved_at=_at(dt.date(2027, 2, 15)))
    make_household(village, number="0102", form_state=FormState.APPROVED, approved_at=_at(dt.date(2027, 3, 2)))
    make_household(village, number="0103", form_state=FormState.DRAFT)
    county, township = personas["county"], regions["township_a"]
    services.period_approve(actor=personas["reviewer"], township=township, period=PERIOD)
    services.period_accept(actor=county, township=township, period=PERIOD)
    assert _uploaded(county, township) == 0  # accepted, not yet acknowledged by the province
    PeriodApproval.objects.filter(period=PERIOD).update(uploaded_at=_at(dt.date(2027, 3, 9)))
    assert _uploaded(county, township) == 1  # February's form; March's is not uploaded yet
    assert _uploaded(county, regions["county"]) == 1
