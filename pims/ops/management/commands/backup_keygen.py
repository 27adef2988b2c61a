from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pims.ops import keygen


class Command(BaseCommand):
    help = (
        "Make a backup key pair: write the private key (the backup identity) to FILE, 0400, and print the "
        "public key to put into BACKUP_RECIPIENTS. Keep FILE offline (key safe); it is needed only to restore. "
        "Before BACKUP_RECIPIENTS is set (production requires it), run `python -m pims.ops.keygen FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="new file for the private key (never overwritten)")

    def handle(self, *args, file, **options):
        if keygen.main([str(file)]) != 0:
            raise CommandError(f"no key written to {file}")
