"""Composite indexes for the pinyin and initials search of county-or-smaller
scopes (pims.search.selectors._name_q): (county part of the code, pinyin or
initials, code) for each of the three code columns a person is visible
through. PostgreSQL only: they use pattern operator classes so that the
`LIKE 'x%'` Django writes is an index range under any database collation;
SQLite searches its small registers without them.

They are not in the model's Meta.indexes because Django cannot express an
operator class portably; `makemigrations` does not know them."""

from django.db import migrations

CODES = {"resp": "responsible_code", "reg": "registered_code", "res": "residence_code"}
KEYS = {"py": "name_pinyin", "ini": "name_initials"}


def _indexes():
    for c, code in CODES.items():
        for k, key in KEYS.items():
            yield (
                f"person_{c}_{k}",
                f"(left({code}, 6) text_pattern_ops, {key} varchar_pattern_ops, {code} varchar_pattern_ops)",
            )


# Finer statistics for the name keys: with the default sample PostgreSQL
# estimated `name_initials LIKE 'zb%'` at 1 row of 10M (29,851 in fact) and
# chose plans accordingly.
STATISTICS = 1000


def _statistics(schema_editor, target):
    columns = ", ".join(f"ALTER COLUMN {key} SET STATISTICS {target}" for key in KEYS.values())
    schema_editor.execute(f"ALTER TABLE registry_person {columns}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in _indexes():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON registry_person {columns}")
    _statistics(schema_editor, STATISTICS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _columns in _indexes():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    _statistics(schema_editor, -1)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_person_name_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
