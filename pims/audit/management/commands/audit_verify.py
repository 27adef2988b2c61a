from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pims.audit.anchors import anchor_path
from pims.audit.owner import audit_owner
from pims.audit.verify import trigger_problems, verify_archive, verify_database


class Command(BaseCommand):
    help = (
        "Verify the keyed audit chain in the database (from the latest archive checkpoint) against the signed "
        "anchors outside it, and the append-only triggers; or verify archive files. Exits non-zero on any problem."
    )

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
            if report.ok and not report.anchors:
                self.stderr.write(
                    self.style.WARNING(
                        f"no signed anchors in {anchor_path()} yet: run `manage.py audit_anchor` (scheduled every "
                        "15 minutes); until then entries cut off the end of the chain cannot be detected"
                    )
                )
            owner = audit_owner(database)
            if owner is not None:
                app = connections[database].settings_dict.get("USER")
                note = f"audit tables owned by {owner}"
                if owner == app:
                    self.stderr.write(
                        self.style.WARNING(f"{note}, the application's own role: run `manage.py audit_owner_sql`")
                    )
                else:
                    self.stdout.write(note)
            for problem in trigger_problems(database):
                self.stdout.write(self.style.ERROR(f"BROKEN append-only trigger {problem}"))
                failures.append(f"append-only trigger {problem}")
        if failures:
            raise CommandError("audit chain broken: " + "; ".join(failures))

    def _show(self, label: str, report) -> list[str]:
        span = f"seq {report.start_seq + 1}..{report.last_seq}, {report.checked} entries checked"
        if report.ok:
            anchors = f", {report.anchors} anchors agree" if getattr(report, "anchors", 0) else ""
            self.stdout.write(self.style.SUCCESS(f"OK {label}: {span}{anchors}, head {report.last_hash}"))
            return []
        self.stdout.write(self.style.ERROR(f"BROKEN {label}: {report.broken} ({span} before it)"))
        return [f"{label}: {report.broken}"]
