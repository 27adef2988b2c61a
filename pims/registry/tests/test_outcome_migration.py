"""The migration that encrypts pregnancy outcomes (issue 14.7) on a register
that already has them: forward, the plaintext columns are gone and the
ciphers open to the old values (the 妊娠结局 event's payload too); backward,
the plaintext comes back."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pims.registry.models import Pregnancy
from pims.registry.personal import outcome_from_payload, pregnancy_outcome_open
from pims.tests_system.test_uuid_migration import migrate

BEFORE = [("registry", "0012_pregnancy_outcome_cipher_add"), ("events", "0012_uuid_unique")]
DAY = dt.date(2025, 3, 1)


def _old_rows(apps) -> int:
    model = apps.get_model
    region = model("regions", "Region").objects.create(code="210124101200", name="村", level="village", valid_from=DAY)
    hh = model("registry", "Household").objects.create(village=region, region_code=region.code, number="0001")
    woman = model("registry", "Person").objects.create(
        household=hh,
        row=1,
        name="母",
        sex="2",
        birth_date=dt.date(1990, 1, 1),
        ethnicity="01",
        marital_status="20",
        relationship="01",
        hukou_type="2",
        registered_code=region.code,
        residence_code=region.code,
        responsible_code=region.code,
    )
    Pregnancy = model("registry", "Pregnancy")
    Pregnancy.objects.create(woman=woman, start_date=dt.date(2024, 12, 1))  # still open
    ended = Pregnancy.objects.create(woman=woman, start_date=dt.date(2024, 10, 1), outcome="3", outcome_date=DAY)
    model("events", "Event").objects.create(
        event_type="preg_outcome",
        person=woman,
        region_code=region.code,
        effective_date=DAY,
        report_date=DAY,
        source="health",
        payload={"outcome": "3"},
    )
    return ended.pk


@pytest.mark.django_db(transaction=True)
def test_outcomes_are_encrypted_forward_and_restored_backward():
    from pims.events.models import Event

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = migrate(BEFORE)
    pk = _old_rows(executor.loader.project_state(BEFORE).apps)

    migrate(latest)
    ended = Pregnancy.objects.get(pk=pk)
    assert ended.ended and pregnancy_outcome_open(ended.outcome_cipher, ended.outcome_date_cipher) == ("3", DAY)
    assert not Pregnancy.objects.exclude(pk=pk).get().ended
    payload = Event.objects.get(event_type="preg_outcome").payload
    assert "outcome" not in payload and outcome_from_payload(payload) == "3"

    executor = migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("registry", "Pregnancy").objects.get(pk=pk)
    assert (old.outcome, old.outcome_date) == ("3", DAY)
    migrate(latest)
