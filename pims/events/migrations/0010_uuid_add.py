"""Schema: the travelling records' UUID (pims.lib.identity), nullable and
without a default for now — a callable default here would give every existing
row the same value. 0011_uuid_fill fills it; 0012_uuid_unique makes it required and unique."""

from django.db import migrations, models

MODELS = ("event", "spell", "changereport")


class Migration(migrations.Migration):
    dependencies = [("events", "0009_spell_household_stock_index")]

    operations = [
        migrations.AddField(
            model_name=name, name="uuid", field=models.UUIDField(null=True, editable=False, verbose_name="全局唯一标识")
        )
        for name in MODELS
    ]
