"""Encrypt how and when each recorded pregnancy ended (issue 14.7), and the
outcome in the payload of every 妊娠结局 event; reversible (decrypts back).

Uses the framework-free crypto helper (pims.lib.crypto) with the AAD labels of
pims.registry.personal written out here, so a later change of that module
cannot change what this migration does. Batches by primary key."""

from django.db import migrations

BATCH = 2000
OUTCOME_AAD, DATE_AAD = b"pregnancy_outcome", b"pregnancy_outcome_date"


def _batches(qs):
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        last = rows[-1].pk
        yield rows


def encrypt(apps, schema_editor):
    from pims.lib import crypto

    Pregnancy = apps.get_model("registry", "Pregnancy")
    for rows in _batches(Pregnancy.objects.all()):
        for g in rows:
            g.ended = bool(g.outcome)
            g.outcome_cipher = crypto.encrypt(g.outcome, aad=OUTCOME_AAD) if g.outcome else ""
            g.outcome_date_cipher = (
                crypto.encrypt(g.outcome_date.isoformat(), aad=DATE_AAD) if g.outcome_date else ""
            )
        Pregnancy.objects.bulk_update(rows, ["ended", "outcome_cipher", "outcome_date_cipher"])
    Event = apps.get_model("events", "Event")
    for rows in _batches(Event.objects.filter(event_type="preg_outcome")):
        changed = []
        for e in rows:
            p = dict(e.payload or {})
            if p.get("outcome"):
                p["outcome_cipher"] = crypto.encrypt(str(p.pop("outcome")), aad=OUTCOME_AAD)
                e.payload = p
                changed.append(e)
        Event.objects.bulk_update(changed, ["payload"])


def decrypt(apps, schema_editor):
    import datetime as dt

    from pims.lib import crypto

    Pregnancy = apps.get_model("registry", "Pregnancy")
    for rows in _batches(Pregnancy.objects.all()):
        for g in rows:
            g.outcome = crypto.decrypt(g.outcome_cipher, aad=OUTCOME_AAD) if g.outcome_cipher else ""
            day = crypto.decrypt(g.outcome_date_cipher, aad=DATE_AAD) if g.outcome_date_cipher else ""
            g.outcome_date = dt.date.fromisoformat(day) if day else None
        Pregnancy.objects.bulk_update(rows, ["outcome", "outcome_date"])
    Event = apps.get_model("events", "Event")
    for rows in _batches(Event.objects.filter(event_type="preg_outcome")):
        changed = []
        for e in rows:
            p = dict(e.payload or {})
            if p.get("outcome_cipher"):
                p["outcome"] = crypto.decrypt(p.pop("outcome_cipher"), aad=OUTCOME_AAD)
                e.payload = p
                changed.append(e)
        Event.objects.bulk_update(changed, ["payload"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0012_pregnancy_outcome_cipher_add"), ("events", "0012_uuid_unique")]

    operations = [migrations.RunPython(encrypt, decrypt)]
