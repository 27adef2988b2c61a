"""The bulk paths give every travelling row its own UUID (pims.lib.identity):
the writer behind COPY / executemany and INSERT … SELECT, stored in the form
the ORM finds again."""

import pytest
from django.db import connection

from pims.integration.bulk import TableWriter, adapt_value
from pims.integration.services import insert_select
from pims.lib import clock
from pims.registry.models import Household, Person, Pregnancy
from pims.registry.tests.factories import make_household, make_person
from pims.testing.identity import assert_uuids_whole

pytestmark = pytest.mark.django_db


def test_the_bulk_writer_gives_every_row_its_own_uuid_that_the_orm_finds(regions):
    village, now = regions["village_a1"], adapt_value(clock.now())
    columns = ["village_id", "region_code", "number", "address", "created_at", "updated_at"]
    written = TableWriter(Household, columns).write(
        (village.pk, village.code, f"B{i:04d}", "测试地址", now, now) for i in range(50)
    )
    assert written == 50
    stored = list(Household.objects.values_list("uuid", "number"))
    assert len({u for u, _n in stored}) == 50
    some, number = stored[7]
    assert Household.objects.get(uuid=some).number == number


def test_insert_select_gives_every_row_its_own_uuid(regions):
    household = make_household(regions["village_a1"])
    women = [make_person(household, row=i, sex="2") for i in range(1, 4)]
    before = {p.uuid for p in women} | {household.uuid}
    p = connection.ops.quote_name(Person._meta.db_table)
    insert_select(Pregnancy, {"woman_id": "p.id", "start_date": "p.birth_date"}, f"FROM {p} AS p", [])
    made = list(Pregnancy.objects.values_list("uuid", flat=True))
    assert len(made) == 3 and not set(made) & before
    assert Pregnancy.objects.get(uuid=made[0]).woman in women
    assert assert_uuids_whole() == 7


def test_a_unique_nullable_column_left_out_is_null_in_every_row(regions):
    """Person.id_index (unique, nullable, no default) stays NULL for persons
    written without an ID — not a shared placeholder that breaks uniqueness."""
    household = make_household(regions["village_a1"])
    now = adapt_value(clock.now())
    columns = ["household_id", "row", "name", "sex", "birth_date", "ethnicity", "marital_status", "relationship"]
    columns += ["hukou_type", "registered_code", "residence_code", "responsible_code", "created_at", "updated_at"]
    code = regions["village_a1"].code
    rows = [
        (household.pk, i, f"人{i}", "1", "1990-01-01", "01", "10", "02", "1", code, code, code, now, now)
        for i in (1, 2, 3)
    ]
    assert TableWriter(Person, columns).write(rows) == 3
    assert list(Person.objects.values_list("id_index", flat=True)) == [None, None, None]
