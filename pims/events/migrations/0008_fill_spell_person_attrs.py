"""Data migration: existing spells get their person's sex, birth date,
ethnicity, hukou type and residence status (the copies added in 0005), in
batches of spell ids so that no statement rewrites millions of rows."""

from django.db import migrations

ATTRS = ("sex", "birth_date", "ethnicity", "hukou_type", "residence_status")
BATCH = 50_000


def fill(apps, schema_editor):
    Spell = apps.get_model("events", "Spell")
    Person = apps.get_model("registry", "Person")
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    spell, person = qn(Spell._meta.db_table), qn(Person._meta.db_table)
    sets = ", ".join(f"{qn(a)} = p.{qn(a)}" for a in ATTRS)
    bounds = Spell.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), Spell.objects.order_by("-pk").values_list("pk", flat=True).first()
    if first is None:
        return
    with connection.cursor() as cursor:
        for lo in range(first, last + 1, BATCH):
            cursor.execute(
                f"UPDATE {spell} SET {sets} FROM {person} AS p "  # noqa: S608 (quoted names, parameters)
                f"WHERE p.id = {spell}.person_id AND {spell}.id >= %s AND {spell}.id < %s",
                [lo, lo + BATCH],
            )


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own on PostgreSQL

    dependencies = [("events", "0007_spell_person_attrs"), ("registry", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
