"""Test helpers shared by the synth and integration tests."""

from django.core.management import call_command


def load_code_tables() -> None:
    """The bundled code manual (a no-op when the session fixture loaded it
    already; transactional tests flush it and need it again)."""
    call_command("load_codes", verbosity=0)


def register_snapshot() -> list[tuple]:
    """Everything an import determines about persons, without database ids
    or ciphertexts (their nonces differ from run to run)."""
    from pims.registry.models import Person

    return sorted(
        Person.objects.values_list(
            "household__region_code",
            "household__number",
            "household__hh_type",
            "household__address",
            "row",
            "name",
            "name_pinyin",
            "sex",
            "birth_date",
            "id_index",
            "id_masked",
            "id_sex",
            "id_birth_date",
            "no_id_reason",
            "relationship",
            "marital_status",
            "ethnicity",
            "education",
            "occupation",
            "hukou_type",
            "registered_code",
            "residence_code",
            "responsible_code",
            "residence_status",
            "phone_index",
            "status",
        )
    )


def register_checksum() -> str:
    """SHA-256 over persons, households (with their head's row), marriages,
    births, baseline events and spells, in a database-independent form."""
    import hashlib

    from pims.events.models import Event, Spell
    from pims.registry.models import Birth, Household, Marriage

    digest = hashlib.sha256()

    def add(rows):
        for row in sorted(rows, key=repr):
            digest.update(repr(row).encode())
        digest.update(b"|")

    add(register_snapshot())
    add(Household.objects.values_list("region_code", "number", "hh_type", "address", "form_state", "head__row"))
    add(Marriage.objects.values_list("husband__id_index", "wife__id_index", "kind"))
    add(Birth.objects.values_list("child__household__number", "child__row", "mother__row", "father__row"))
    add(Event.objects.values_list("event_type", "person__household__number", "person__row", "region_code", "source"))
    add(Spell.objects.values_list("person__household__number", "person__row", "kind", "region_code", "end"))
    return digest.hexdigest()
