"""Schema: the UUID filled by 0011_uuid_fill becomes required and unique (and so
indexed); new rows get uuid4 from the model (pims.lib.identity)."""

import uuid

from django.db import migrations, models

MODELS = ("event", "spell", "changereport")


class Migration(migrations.Migration):
    dependencies = [("events", "0011_uuid_fill")]

    operations = [
        migrations.AlterField(
            model_name=name,
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="全局唯一标识"),
        )
        for name in MODELS
    ]
