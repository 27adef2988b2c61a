from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pims.audit.services import ArchiveRefused, archive_cutoff_limit, audit_archive, system_username


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Archive audit entries older than the cutoff to BACKUP_DIR/audit-archive/ "
        "(gzip JSON lines + .sha256), record a checkpoint and delete the archived rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--before",
            type=_parse_day,
            metavar="YYYY-MM-DD",
            help="archive entries before this local date (default: now - AUDIT_RETENTION_DAYS)",
        )

    def handle(self, *args, before, **options):
        cutoff = timezone.make_aware(datetime.combine(before, time.min)) if before else archive_cutoff_limit()
        try:
            checkpoint = audit_archive(before=cutoff, username=system_username())
        except ArchiveRefused as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write(f"nothing to archive before {cutoff.isoformat()}")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"archived seq {checkpoint.first_seq}..{checkpoint.seq} ({checkpoint.entry_count} entries) "
                f"to {checkpoint.file} sha256 {checkpoint.sha256}; last hash {checkpoint.entry_hash}"
            )
        )
