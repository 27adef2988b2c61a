from django.conf import settings
from django.core.management.base import BaseCommand

from pims.audit.services import system_username
from pims.documents.historic_jobs import historic_imports_purge
from pims.integration.rejected import rejected_rows_purge, uploads_purge
from pims.lib import clock


class Command(BaseCommand):
    help = (
        "Delete the rejected-rows files and the files uploaded on the import page (both hold plaintext "
        "ID numbers) of imports finished more than REJECTED_ROWS_RETENTION_DAYS ago (default 30). "
        "Scheduled daily (docs/operator/monitoring.md)."
    )

    def handle(self, *args, **options):
        days = settings.REJECTED_ROWS_RETENTION_DAYS
        removed = rejected_rows_purge(now=clock.now(), username=system_username(), retention_days=days)
        self.stdout.write(f"{removed} rejected-rows files older than {days} days removed")
        uploads = uploads_purge(now=clock.now(), username=system_username(), retention_days=days)
        self.stdout.write(f"{uploads} uploaded import files older than {days} days removed")
        historic = historic_imports_purge(now=clock.now(), username=system_username(), retention_days=days)
        self.stdout.write(f"{historic} historic-document imports' rejected rows older than {days} days removed")
