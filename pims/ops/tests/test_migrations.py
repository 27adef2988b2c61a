"""Upgrades keep the register online: a new index on an existing table is
built concurrently on PostgreSQL (pims.lib.migration_ops.AddIndexOnline)."""

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel

from pims.lib.migration_ops import AddIndexOnline

# Landed before release 0.2.0, when the rule began (never edit a landed migration).
GRANDFATHERED = {
    ("events", "0002_initial"),
    ("events", "0003_change_reports_and_flows"),
    ("events", "0009_spell_household_stock_index"),
    ("registry", "0006_person_name_pattern_indexes"),
}


def _project_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if migration.__module__.startswith("pims."):
            yield app, name, migration


def test_new_indexes_on_existing_tables_are_built_concurrently():
    offenders = []
    for app, name, migration in _project_migrations():
        created = {op.name.lower() for op in migration.operations if isinstance(op, CreateModel)}
        for op in migration.operations:
            plain = isinstance(op, AddIndex) and not isinstance(op, AddIndexOnline)
            if plain and op.model_name.lower() not in created and (app, name) not in GRANDFATHERED:
                offenders.append(f"{app}.{name}: {op.index.name} (use pims.lib.migration_ops.AddIndexOnline)")
            if isinstance(op, AddIndexOnline) and migration.atomic:
                offenders.append(f"{app}.{name}: AddIndexOnline needs `atomic = False` on the migration")
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db(transaction=True)
def test_add_index_online_builds_and_drops_the_index_on_this_engine():
    from django.db import models
    from django.db.migrations.state import ProjectState

    state = ProjectState.from_apps(__import__("django.apps", fromlist=["apps"]).apps)
    index = models.Index(fields=["action", "at"], name="ops_test_online_idx")
    operation = AddIndexOnline("auditentry", index)
    new_state = state.clone()
    operation.state_forwards("audit", new_state)
    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("audit", editor, state, new_state)
    try:
        with connection.cursor() as cursor:
            names = connection.introspection.get_constraints(cursor, "audit_auditentry")
        assert "ops_test_online_idx" in names
    finally:
        with connection.schema_editor(atomic=False) as editor:
            operation.database_backwards("audit", editor, new_state, state)
    with connection.cursor() as cursor:
        assert "ops_test_online_idx" not in connection.introspection.get_constraints(cursor, "audit_auditentry")
