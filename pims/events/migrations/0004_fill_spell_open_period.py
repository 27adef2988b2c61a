"""Data migration: spells opened before flows were recorded (the baselines)
get the approval month of their opening event as `open_period`, and those
events their `approved_period`. One statement pair per month, in batches."""

import datetime as dt

from django.db import migrations

BATCH = 5000


def _months(first: dt.date, last: dt.date):
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def fill(apps, schema_editor):
    Spell = apps.get_model("events", "Spell")
    Event = apps.get_model("events", "Event")
    todo = Event.objects.filter(approved_period="", approved_at__isnull=False)
    first = todo.order_by("approved_at").values_list("approved_at", flat=True).first()
    last = todo.order_by("-approved_at").values_list("approved_at", flat=True).first()
    if first is None:
        return
    for start, end in _months(first.date() - dt.timedelta(days=1), last.date() + dt.timedelta(days=1)):
        period = start.strftime("%Y-%m")
        in_month = todo.filter(approved_at__date__gte=start, approved_at__date__lt=end)
        while ids := list(in_month.values_list("pk", flat=True)[:BATCH]):
            Spell.objects.filter(opened_by_id__in=ids, open_period="").update(open_period=period)
            Event.objects.filter(pk__in=ids).update(approved_period=period)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_change_reports_and_flows")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
