import base64
import os

import pytest
from django.test import override_settings

from pims.lib import crypto
from pims.lib.masking import mask_phone


def test_encrypt_round_trip_and_random_nonce():
    a = crypto.encrypt("210124198506150123", aad=b"citizen_id")
    b = crypto.encrypt("210124198506150123", aad=b"citizen_id")
    assert a != b
    assert "210124198506150123" not in a
    assert crypto.decrypt(a, aad=b"citizen_id") == "210124198506150123"


def test_wrong_associated_data_is_refused():
    token = crypto.encrypt("13812345678", aad=b"phone")
    with pytest.raises(Exception):  # noqa: B017  (cryptography's InvalidTag)
        crypto.decrypt(token, aad=b"citizen_id")


def test_old_key_still_decrypts_after_rotation(settings):
    old = crypto.encrypt("x1")
    new_key = base64.b64encode(os.urandom(32)).decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        assert crypto.decrypt(old) == "x1"
        assert crypto.needs_rotation(old)
        assert not crypto.needs_rotation(crypto.encrypt("x2"))


def test_blind_index_is_stable_and_kind_separated():
    assert crypto.blind_index("citizen_id", "1") == crypto.blind_index("citizen_id", "1")
    assert crypto.blind_index("citizen_id", "1") != crypto.blind_index("phone", "1")


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("024-87654321") == "138****5678"[:0] + "024****4321"
