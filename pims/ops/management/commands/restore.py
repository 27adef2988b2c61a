import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pims.audit.services import system_username
from pims.ops.databases import settings_from_url
from pims.ops.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into an EMPTY database (default: the configured one) and an EMPTY files "
        "directory, then compare row counts, table checksums and files with the manifest and verify the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="backup directory written by `manage.py backup`")
        parser.add_argument("--database-url", default=None, help="target database, e.g. postgres://user@host/db")
        parser.add_argument(
            "--identity",
            type=Path,
            default=os.environ.get("BACKUP_IDENTITY_FILE") or None,
            help="the backup private key file written by `manage.py backup_keygen` (default: $BACKUP_IDENTITY_FILE)",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            default=None,
            help="empty directory for the backed-up files (default: MEDIA_ROOT, only when restoring into the "
            "configured database)",
        )

    def handle(self, *args, archive, database_url, identity, media_root, **options):
        if database_url and media_root is None:
            raise CommandError("with --database-url, give --media-root DIR (an empty directory) for the files")
        target = settings_from_url(database_url) if database_url else dict(connections["default"].settings_dict)
        try:
            report = backup_restore(
                directory=archive,
                target=target,
                username=system_username(),
                identity_file=identity,
                media_root=media_root or Path(settings.MEDIA_ROOT),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(
            f"restored {manifest['name']} (release {manifest['release']}, {manifest['engine']}, "
            f"{len(manifest['tables'])} tables, {manifest['media']['files']} files)"
        )
        for line in report.mismatches:
            self.stdout.write(self.style.ERROR(f"MISMATCH {line}"))
        chain = report.chain
        self.stdout.write(
            f"audit chain: {'OK' if chain.ok else 'BROKEN ' + str(chain.broken)} "
            f"(seq {chain.start_seq + 1}..{chain.last_seq})"
        )
        if not report.ok:
            raise CommandError("restored database does not match the backup; do not use it")
        self.stdout.write(self.style.SUCCESS("row counts, checksums, files and audit chain match the backup"))
