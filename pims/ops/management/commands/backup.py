from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pims.audit.services import system_username
from pims.ops.services import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write an encrypted, checksummed backup directory (database dump and MEDIA_ROOT, encrypted to "
        "BACKUP_RECIPIENTS; manifest.json; SHA256SUMS) under --output (default: BACKUP_DIR)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, metavar="DIR", help="parent directory")

    def handle(self, *args, output, **options):
        try:
            path = backup_create(output_dir=output or Path(settings.BACKUP_DIR), username=system_username())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written to {path}"))
