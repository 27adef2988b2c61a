"""Stable identity of the records that travel between instances (DESIGN.md §6).

Integer keys stay local to an instance. A record that can leave it — in an
upload bundle, in an exchange message, as the subject of a document — also
carries a UUID, assigned when the record is created and never reused: a
correction, a new person or a copy is a new record with a new UUID.

The convention, for every app (registry, events, and the coming documents,
programmes and exchange messages):

- a travelling model inherits :class:`TravellingRecord`, which adds ``uuid``
  (unique, so indexed; not editable). Every ORM path — ``create``,
  ``bulk_create``, a model built in memory and saved later — gets a fresh
  ``uuid4`` when the instance is constructed;
- raw writers never share one default across rows:
  ``pims.integration.bulk.TableWriter`` (COPY / executemany) makes one UUID per
  row, and an ``INSERT … SELECT`` uses :func:`new_uuid_sql` for the column;
- payloads and bundles refer to other records by ``uuid``, never by ``pk``;
- adding ``uuid`` to a model that already has rows takes three migrations:
  the field nullable without a default, a batched data migration that fills
  it (set-based, in the database), then the field as declared here (the
  registry's and events' ``*_uuid_add``, ``*_uuid_fill`` and ``*_uuid_unique``
  are the worked example). A model created with it needs nothing more than
  its initial migration.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

# A version-4 UUID as SQLite stores Django's UUIDField (32 lowercase hex
# digits): random digits with the version nibble 4 and the variant nibble
# one of 8, 9, a, b. `random() & 3` instead of abs(random()) % 4: abs()
# overflows on the one most negative value.
_SQLITE_UUID4 = (
    "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || "
    "substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
)


# How the API schemas describe the field (pims.registry.api, pims.events.api).
UUID_DESCRIPTION = "全局唯一标识：在县、省各级系统间不变，创建时分配、永不复用；id 只在本系统内有效"


class TravellingRecord(models.Model):
    """Abstract base of every model whose rows travel between instances."""

    uuid = models.UUIDField(_("全局唯一标识"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


def new_uuid_sql(vendor: str) -> str:
    """SQL that yields a fresh version-4 UUID for each row it is evaluated
    for, in the form the vendor's UUIDField column holds."""
    if vendor == "postgresql":
        return "gen_random_uuid()"
    if vendor == "sqlite":
        return _SQLITE_UUID4
    raise NotImplementedError(f"no UUID expression for {vendor}")
