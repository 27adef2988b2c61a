from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("registry", "0013_pregnancy_outcome_encrypt")]

    operations = [
        migrations.RemoveField(model_name="pregnancy", name="outcome"),
        migrations.RemoveField(model_name="pregnancy", name="outcome_date"),
    ]
