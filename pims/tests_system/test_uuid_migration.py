"""The UUID migrations on a register that already has rows: migrated back to
before the field existed, rows are written with the models of that time,
then migrated forward: every travelling row has its own UUID (the data
migration works in batches of ids, so the rows straddle a batch boundary
and a gap); backwards and forwards again works too."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pims.testing.identity import assert_uuids_whole, travelling_models

APPS = ("registry", "events")
FAR_ID = 123_457  # beyond the fill's first batch of 50,000 ids


def before_uuids(executor) -> list[tuple[str, str]]:
    """Each app's migration just before its `*_uuid_add` (numbers shift as migrations land)."""
    graph = executor.loader.graph
    targets = []
    for app in APPS:
        add = next(key for key in graph.nodes if key[0] == app and key[1].endswith("_uuid_add"))
        targets += [parent.key for parent in graph.node_map[add].parents if parent.key[0] == app]
    return targets


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def old_register(apps) -> int:
    """A village with two households (one far in the id space) and a family
    in each: persons, marriage, birth, pregnancy, contraception, a change
    report, baseline and birth events, spells. Returns the rows written."""
    model = apps.get_model
    Region = model("regions", "Region")
    day = dt.date(2025, 1, 31)
    parent: Any = None
    for code, level in (("210124000000", "county"), ("210124101000", "township"), ("210124101200", "village")):
        parent = Region.objects.create(code=code, name=code, level=level, parent=parent, valid_from=day)
    clerk = model("accounts", "User").objects.create(username="clerk", role="village_clerk", region=parent)
    Household, Person = model("registry", "Household"), model("registry", "Person")
    Event, Spell = model("events", "Event"), model("events", "Spell")
    report = model("events", "ChangeReport").objects.create(
        region=parent, region_code=parent.code, period="2025-02", created_by=clerk
    )
    rows = 1
    for hid in (1, FAR_ID):
        hh = Household.objects.create(id=hid, village=parent, region_code=parent.code, number=f"{hid:04d}")
        people = {}
        for row, (name, sex, born) in enumerate(
            (("父", "1", dt.date(1980, 1, 1)), ("母", "2", dt.date(1982, 1, 1)), ("子", "1", dt.date(2025, 2, 1))), 1
        ):
            people[name] = Person.objects.create(
                id=hid * 10 + row,
                household=hh,
                row=row,
                name=name,
                sex=sex,
                birth_date=born,
                ethnicity="01",
                marital_status="20",
                relationship="01",
                hukou_type="2",
                registered_code=parent.code,
                residence_code=parent.code,
                responsible_code=parent.code,
            )
        model("registry", "Marriage").objects.create(husband=people["父"], wife=people["母"], date=day)
        model("registry", "Birth").objects.create(child=people["子"], mother=people["母"], father=people["父"])
        model("registry", "Pregnancy").objects.create(woman=people["母"], start_date=dt.date(2024, 5, 1))
        model("registry", "Contraception").objects.create(woman=people["母"], method="03", start_date=day)
        for person in people.values():
            kind = "birth" if person.name == "子" else "baseline"
            event = Event.objects.create(
                event_type=kind,
                person=person,
                household=hh,
                region_code=parent.code,
                effective_date=day,
                report_date=day,
                source="village",
                report=report if kind == "birth" else None,
            )
            for spell_kind in ("registered", "resident"):
                Spell.objects.create(
                    person=person, household=hh, kind=spell_kind, region_code=parent.code, start=day, opened_by=event
                )
        rows += 1 + 3 + 4 + 3 * 3
    return rows


@pytest.mark.django_db(transaction=True)
def test_the_uuid_migrations_fill_every_existing_row_and_reverse():
    executor = MigrationExecutor(connection)
    before, latest = before_uuids(executor), executor.loader.graph.leaf_nodes()
    executor = migrate(before)
    rows = old_register(executor.loader.project_state(before).apps)

    migrate(latest)
    assert assert_uuids_whole() == rows  # each row its own UUID, none missing
    with connection.cursor() as cursor:
        for model in travelling_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE uuid IS NULL")  # noqa: S608  (a model's table)
            assert cursor.fetchone() == (0,), model
    kept = {m._meta.label: set(m.objects.values_list("pk", "uuid")) for m in travelling_models()}

    # Backwards (the column goes) and forwards again: new UUIDs, still whole.
    migrate(before)
    migrate(latest)
    assert assert_uuids_whole() == rows
    again = {m._meta.label: set(m.objects.values_list("pk", "uuid")) for m in travelling_models()}
    assert all(not kept[label] & again[label] for label in kept)
