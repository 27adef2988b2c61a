"""The keys must fit the data: start-up refuses keys that cannot read or
search it, and rotate_keys brings the data to new keys."""

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from pims.lib import crypto
from pims.ops.keys import KeyMismatch, check_keys_against_data, field_key_ids_in_data
from pims.ops.models import KeyFingerprint
from pims.ops.startup import verify_startup
from pims.registry import personal, services
from pims.registry.models import Person
from pims.registry.tests.conftest import family_form

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def family(codes, personas, regions):
    data, members = family_form(regions["village_a1"].code)
    members[0]["phone"] = "13812345678"
    services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    )
    return {m["citizen_id"]: m for m in members if m.get("citizen_id")}


@pytest.fixture
def codes(db):
    from pims.integration.testing import load_code_tables

    load_code_tables()


def found_by_id(number: str) -> bool:
    return Person.objects.filter(id_index=personal.citizen_id_index(number)).exists()


def test_start_records_what_the_data_needs(family):
    check_keys_against_data()

    ids = set(KeyFingerprint.objects.filter(purpose="field_key_id").values_list("value", flat=True))
    assert ids == set(field_key_ids_in_data()) == {crypto.keyring()[0][0]}
    assert KeyFingerprint.objects.filter(purpose__in=["blind_index", "audit_chain"]).count() == 2


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "first-start"])
def test_start_is_refused_when_no_key_can_decrypt_the_data(family, recorded):
    old_id = crypto.keyring()[0][0]
    if recorded:
        check_keys_against_data()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]):
        with pytest.raises(KeyMismatch, match=old_id):
            check_keys_against_data()
        with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
            verify_startup()


def test_start_is_refused_when_the_blind_index_key_changed(family, settings):
    check_keys_against_data()
    with override_settings(BLIND_INDEX_KEY=new_key()), pytest.raises(KeyMismatch, match="BLIND_INDEX_KEY"):
        check_keys_against_data()


def test_start_is_refused_when_the_audit_key_changed(family):
    check_keys_against_data()
    with override_settings(AUDIT_CHAIN_KEY=new_key()), pytest.raises(KeyMismatch, match="AUDIT_CHAIN_KEY"):
        check_keys_against_data()


def test_check_database_reports_a_key_that_cannot_read_the_data(family):
    from django.core.management.base import SystemCheckError

    check_keys_against_data()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]), pytest.raises(SystemCheckError, match="pims.E101"):
        call_command("check", "--database", "default")


def test_rotating_both_keys_keeps_every_id_readable_and_searchable(family, settings):
    check_keys_against_data()
    field, blind = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[field, *settings.FIELD_ENCRYPTION_KEYS], BLIND_INDEX_KEY=blind):
        with pytest.raises(KeyMismatch):  # the indexes were made with the old blind-index key
            check_keys_against_data()
        call_command("rotate_keys", verbosity=0)
    with override_settings(FIELD_ENCRYPTION_KEYS=[field], BLIND_INDEX_KEY=blind):
        check_keys_against_data()
        for number in family:
            assert found_by_id(number), number
            person = Person.objects.get(id_index=personal.citizen_id_index(number))
            assert crypto.decrypt(person.id_cipher, aad=b"citizen_id") == number
        head = Person.objects.get(row=1)
        assert crypto.decrypt(head.phone_cipher, aad=b"phone") == "13812345678"
        assert head.phone_index == personal.phone_index("13812345678")
        assert field_key_ids_in_data() == [crypto.key_id(base64.b64decode(field))]


def test_rotation_waits_for_a_running_import(family):
    from pims.integration.models import ImportJob, StagedRow
    from pims.registry.keys import RotationRefused, rotate_keys

    job = ImportJob.objects.create()
    StagedRow.objects.create(job=job, line=2)
    with pytest.raises(RotationRefused, match=str(job.pk)):
        rotate_keys()
