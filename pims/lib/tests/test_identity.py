"""The travelling records' UUIDs (pims.lib.identity): a fresh version-4 UUID
per record, from the ORM and from the SQL expression of the raw writers
(their tests: pims/integration/tests/test_bulk.py)."""

import uuid

import pytest
from django.db import connection

from pims.lib.identity import new_uuid_sql
from pims.registry.models import Household

pytestmark = pytest.mark.django_db


def test_the_sql_expression_makes_a_distinct_version_4_uuid_for_every_row():
    rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
    with connection.cursor() as cursor:
        cursor.execute(f"{rows} SELECT {new_uuid_sql(connection.vendor)} FROM n")  # noqa: S608  (constants)
        values = [row[0] for row in cursor.fetchall()]
    parsed = [v if isinstance(v, uuid.UUID) else uuid.UUID(v) for v in values]
    assert len(set(parsed)) == 2000
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}
    if connection.vendor == "sqlite":  # as Django's UUIDField stores and looks it up
        assert all(v == uuid.UUID(v).hex for v in values)


def test_models_built_in_memory_each_get_their_own_uuid(regions):
    a, b = Household(village=regions["village_a1"]), Household(village=regions["village_a1"])
    assert a.uuid != b.uuid and a.uuid.version == 4
    assert not Household._meta.get_field("uuid").editable
