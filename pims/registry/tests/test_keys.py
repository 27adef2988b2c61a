import base64
import os

import pytest
from django.core.management import call_command
from django.test import override_settings

from pims.lib import crypto
from pims.registry import services
from pims.registry.models import Person

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")


def test_rotate_keys_reencrypts_everything_with_the_new_key(personas, regions, settings):
    data, members = family_form(regions["village_a1"].code)
    members[0]["phone"] = "13812345678"
    services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    )
    before = {p.pk: (p.id_cipher, p.phone_cipher) for p in Person.objects.all()}
    new_key = base64.b64encode(os.urandom(32)).decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        call_command("rotate_keys", verbosity=0)
        for p in Person.objects.all():
            if p.id_cipher:
                assert not crypto.needs_rotation(p.id_cipher)
                assert p.id_cipher != before[p.pk][0]
        head = Person.objects.get(row=1)
        assert crypto.decrypt(head.phone_cipher, aad=b"phone") == "13812345678"
        assert crypto.decrypt(head.id_cipher, aad=b"citizen_id") == members[0]["citizen_id"]
    # With only the new key left, everything still decrypts.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        head = Person.objects.get(row=1)
        assert crypto.decrypt(head.id_cipher, aad=b"citizen_id") == members[0]["citizen_id"]
