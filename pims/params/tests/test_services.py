import datetime as dt

import pytest

from pims.audit.models import Action, AuditEntry
from pims.lib.errors import NotPermitted
from pims.params.errors import AmendmentRefused
from pims.params.models import ParameterValue
from pims.params.services import parameter_amend

pytestmark = pytest.mark.django_db
KEY = "birth.mother_age.min"


def amend(actor, **overrides):
    data = {
        "key": KEY,
        "value": "14",
        "valid_from": dt.date(2027, 1, 1),
        "source": "县卫健委通知",
        "status": "unverified",
    }
    return parameter_amend(actor=actor, **{**data, **overrides})


def test_the_sysadmin_amends_with_an_audit_entry(personas):
    row = amend(personas["sysadmin"], status="verified", confirmed_by="张科长")
    assert (row.value, row.origin, row.recorded_by) == ("14", "amendment", personas["sysadmin"])
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_type="params.parametervalue").get()
    assert entry.object_id == str(row.pk) and entry.detail["parameter"] == KEY and entry.detail["value"] == "14"


@pytest.mark.parametrize("persona", ["county", "clerk", "auditor", "outsider"])
def test_only_the_sysadmin_amends(personas, persona):
    with pytest.raises(NotPermitted):
        amend(personas[persona])
    assert not ParameterValue.objects.filter(origin="amendment").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"value": "十四"}, "value"),
        ({"value": "9"}, "value"),  # below the allowed range 10–20
        ({"valid_to": dt.date(2026, 1, 1)}, "valid_to"),
        ({"source": "  "}, "source"),
        ({"status": "verified"}, "confirmed_by"),
    ],
)
def test_a_bad_amendment_is_refused_naming_the_field(personas, overrides, field):
    with pytest.raises(AmendmentRefused) as exc:
        amend(personas["sysadmin"], **overrides)
    assert exc.value.field == field
    assert not ParameterValue.objects.filter(origin="amendment").exists()
    assert not AuditEntry.objects.filter(object_type="params.parametervalue").exists()
