"""The person attributes copied onto spells (sex, birth date, ethnicity,
hukou type, residence status) and their one set-based refresh.

Population statistics group a region's spells by these attributes; with
the copies a report is one scan of the spell table instead of a hash join
of a million spells with a million persons. The copies follow the
person's current values: every service that writes a person who has (or
just got) spells calls `spell_person_attrs_sync` in the same transaction.
"""

from django.db import connection

from pims.registry.models import Person

from .models import Spell

PERSON_ATTRS = ("sex", "birth_date", "ethnicity", "hukou_type", "residence_status")
BATCH = 5000


def spell_attrs_of(person) -> dict:
    """The copies for a new spell of `person` (an unsaved Spell takes them
    as keyword arguments)."""
    return {name: getattr(person, name) for name in PERSON_ATTRS}


def spell_person_attrs_sync(person_ids) -> int:
    """Copy the persons' current attributes onto all their spells (open and
    closed) where they differ: one UPDATE … FROM per batch of persons.
    Returns the number of spells changed."""
    ids = sorted({int(pk) for pk in person_ids if pk is not None})
    if not ids:
        return 0
    qn = connection.ops.quote_name
    spell, person = qn(Spell._meta.db_table), qn(Person._meta.db_table)
    sets = ", ".join(f"{qn(a)} = p.{qn(a)}" for a in PERSON_ATTRS)
    differs = " OR ".join(f"{spell}.{qn(a)} IS DISTINCT FROM p.{qn(a)}" for a in PERSON_ATTRS)
    changed = 0
    with connection.cursor() as cursor:
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {spell} SET {sets} FROM {person} AS p "  # noqa: S608 (quoted names, parameters)
                f"WHERE p.id = {spell}.person_id AND {spell}.person_id IN ({marks}) AND ({differs})",
                chunk,
            )
            changed += cursor.rowcount
    return changed
