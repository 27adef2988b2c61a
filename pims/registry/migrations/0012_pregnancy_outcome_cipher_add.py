from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_volume_register")]

    operations = [
        migrations.AddField(
            model_name="pregnancy",
            name="ended",
            field=models.BooleanField(default=False, verbose_name="已结束"),
        ),
        migrations.AddField(
            model_name="pregnancy",
            name="outcome_cipher",
            field=models.TextField(blank=True, default="", verbose_name="妊娠结局（加密）"),
        ),
        migrations.AddField(
            model_name="pregnancy",
            name="outcome_date_cipher",
            field=models.TextField(blank=True, default="", verbose_name="结局日期（加密）"),
        ),
    ]
