"""Data migration: every existing row of the travelling models gets its own
version-4 UUID, generated in the database, in batches of ids so that no
statement rewrites millions of rows (each batch commits on its own on
PostgreSQL). Rows that already have one keep it, so a run that was stopped
can simply be repeated."""

from django.db import migrations

MODELS = ("Household", "Person", "Marriage", "Birth", "Pregnancy", "Contraception")
BATCH = 50_000

# A frozen copy of pims.lib.identity.new_uuid_sql (migrations never import app
# code): SQLite holds a UUIDField as 32 lowercase hex digits.
NEW_UUID = {
    "postgresql": "gen_random_uuid()",
    "sqlite": "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || "
    "substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))",
}


def fill(apps, schema_editor):
    connection = schema_editor.connection
    new_uuid = NEW_UUID[connection.vendor]
    for name in MODELS:
        model = apps.get_model("registry", name)
        table = connection.ops.quote_name(model._meta.db_table)
        ids = model.objects.values_list("pk", flat=True)
        first, last = ids.order_by("pk").first(), ids.order_by("-pk").first()
        if first is None:
            continue
        with connection.cursor() as cursor:
            for lo in range(first, last + 1, BATCH):
                cursor.execute(
                    f"UPDATE {table} SET uuid = {new_uuid} WHERE id >= %s AND id < %s AND uuid IS NULL",  # noqa: S608
                    [lo, lo + BATCH],
                )


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own on PostgreSQL

    dependencies = [("registry", "0007_uuid_add")]

    # Backwards: nothing to undo; 0007_uuid_add drops the column.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
