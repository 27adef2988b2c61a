"""Every travelling model (pims.lib.identity.TravellingRecord) either travels in the
province bundles or says why it stays (pims/bundles/tables.py); every stored cipher
of a travelling model is re-encrypted under the province's keys. Lives here so that
every app's gate runs it."""

from django.apps import apps

from pims.bundles import tables
from pims.lib.identity import TravellingRecord


def test_every_travelling_model_travels_or_says_why_not():
    labels = {m._meta.label for m in apps.get_models() if issubclass(m, TravellingRecord)}
    assert labels == set(tables.ORDER) | set(tables.STAYS)


def test_every_stored_cipher_is_sent_as_plaintext_for_the_provinces_keys():
    for label in tables.ORDER:
        ciphers = {f.name for f in tables.model(label)._meta.concrete_fields if f.name.endswith("_cipher")}
        handled = {cipher for _, cipher, _, _ in tables.PERSONAL.get(label, [])}
        assert ciphers == handled, label
