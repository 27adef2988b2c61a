from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pims.audit.services import system_username
from pims.ops.databases import settings_from_url
from pims.ops.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into an EMPTY database (default: the configured one), then compare "
        "row counts and table checksums with the manifest and verify the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="backup directory written by `manage.py backup`")
        parser.add_argument("--database-url", default=None, help="target database, e.g. postgres://user@host/db")

    def handle(self, *args, archive, database_url, **options):
        target = settings_from_url(database_url) if database_url else dict(connections["default"].settings_dict)
        try:
            report = backup_restore(directory=archive, target=target, username=system_username())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(f"restored {manifest['name']} ({manifest['engine']}, {len(manifest['tables'])} tables)")
        for line in report.mismatches:
            self.stdout.write(self.style.ERROR(f"MISMATCH {line}"))
        chain = report.chain
        self.stdout.write(
            f"audit chain: {'OK' if chain.ok else 'BROKEN ' + str(chain.broken)} "
            f"(seq {chain.start_seq + 1}..{chain.last_seq})"
        )
        if not report.ok:
            raise CommandError("restored database does not match the backup; do not use it")
        self.stdout.write(self.style.SUCCESS("row counts, checksums and audit chain match the backup"))
