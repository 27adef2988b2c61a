from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pims.audit.verify import missing_triggers, verify_archive, verify_database


class Command(BaseCommand):
    help = "Verify the audit hash chain in the database (from the latest archive checkpoint) or in archive files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--archive",
            action="append",
            type=Path,
            default=[],
            metavar="FILE",
            help="verify an audit archive file (.jsonl.gz) instead; may be repeated",
        )
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, archive, database, **options):
        failures = []
        if archive:
            for path in archive:
                report = verify_archive(path, using=database)
                failures += self._show(f"{path}", report)
        else:
            report = verify_database(using=database)
            failures += self._show(f"database {database!r}", report)
            missing = missing_triggers(database)
            if missing:
                self.stderr.write(self.style.WARNING(f"append-only triggers missing: {', '.join(sorted(missing))}"))
        if failures:
            raise CommandError("audit chain broken: " + "; ".join(failures))

    def _show(self, label: str, report) -> list[str]:
        span = f"seq {report.start_seq + 1}..{report.last_seq}, {report.checked} entries checked"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"OK {label}: {span}, head {report.last_hash}"))
            return []
        self.stdout.write(self.style.ERROR(f"BROKEN {label}: {report.broken} ({span} before it)"))
        return [f"{label}: {report.broken}"]
