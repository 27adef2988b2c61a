"""`manage.py import_civil FILE --user NAME`: load a civil-affairs marriage
registration file (婚姻登记: 结婚 / 离婚 / 补领 / 撤销) as that county
administrator. Exact matches become events of the townships' civil-affairs
change reports; the rest wait in the review queue. Idempotent: the same
records again change nothing."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pims.integration.services import ImportRefused, civil_import


class Command(BaseCommand):
    help = "Import a civil-affairs marriage registration file (CSV or XLSX with Chinese headers)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the county administrator the records are filed as")
        parser.add_argument("--mapping", help="JSON file mapping this file's headers to the canonical ones")
        parser.add_argument("--again", action="store_true", help="run a file that was imported before once more")

    def handle(self, *args, **opts):
        user = get_user_model().objects.filter(username=opts["user"], is_active=True).select_related("region").first()
        if user is None:
            raise CommandError(f"no active user {opts['user']}")
        mapping = json.loads(Path(opts["mapping"]).read_text(encoding="utf-8")) if opts["mapping"] else None
        try:
            job = civil_import(actor=user, path=opts["file"], mapping=mapping, again=opts["again"])
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        review = (job.warnings or {}).get("review", 0)
        self.stdout.write(
            f"job {job.pk}: {job.rows_total} records, {job.rows_loaded} filed as events, {review} for review, "
            f"{job.rows_present} unchanged, {job.rejected_file and job.rows_rejected or 0} rejected"
        )
