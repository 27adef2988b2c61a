"""Schema: the travelling records' UUID (pims.lib.identity), nullable and
without a default for now — a callable default here would give every existing
row the same value. 0008_uuid_fill fills it; 0009_uuid_unique makes it required and unique."""

from django.db import migrations, models

MODELS = ("household", "person", "marriage", "birth", "pregnancy", "contraception")


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_person_name_pattern_indexes")]

    operations = [
        migrations.AddField(
            model_name=name, name="uuid", field=models.UUIDField(null=True, editable=False, verbose_name="全局唯一标识")
        )
        for name in MODELS
    ]
