import datetime as dt

import pytest

from pims.documents import services
from pims.documents.services import Application
from pims.registry.tests.factories import make_couple


@pytest.fixture(autouse=True)
def _on_a_fixed_day(travel):
    """The documents' tests read dates (due dates, ages, numbers by year)
    relative to one day, whatever day the run is pinned to."""
    travel(dt.date(2027, 3, 3))


@pytest.fixture
def couple(regions, codes):
    """A married couple of village A1 (township A): (household, husband, wife)."""
    return make_couple(regions["village_a1"])


def register(actor, person, **kw):
    """A 生育登记 for the couple of `person`, with the commitment signed."""
    issue = kw.pop("issue", True)
    kw.setdefault("commitment", True)
    if "child" not in kw:
        kw.setdefault("due_date", dt.date(2027, 6, 1))
    return services.birth_registration_apply(actor=actor, person=person, application=Application(**kw), issue=issue)
