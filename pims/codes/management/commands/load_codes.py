from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pims.codes.loader import CodeFileError, load_manifest, parse_code_file
from pims.codes.services import codes_load


class Command(BaseCommand):
    help = (
        "Load the code manual: every table named in pims/codes/data/tables.csv. A table whose content "
        "differs from its current version gets a new version; an unchanged table is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--table", help="load only this table (its key in the manifest)")
        parser.add_argument("--file", help="read the table from this CSV instead of the bundled file (needs --table)")

    def handle(self, *args, table=None, file=None, **options):
        try:
            specs = load_manifest()
            if table:
                specs = [s for s in specs if s.key == table]
                if not specs:
                    raise CommandError(f"No table {table!r} in the manifest")
            if file:
                if not table:
                    raise CommandError("--file needs --table")
                specs = [replace(s, file=Path(file)) for s in specs]
            # Every file is read and checked before anything is written.
            parsed = [(spec, parse_code_file(spec.file)) for spec in specs]
            results = codes_load(actor=None, tables=parsed)
        except CodeFileError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] < 1:
            return
        for (_spec, rows), (key, version) in zip(parsed, results, strict=True):
            state = f"version {version.number} created" if version else "unchanged"
            self.stdout.write(f"{key}: {len(rows)} codes, {state}")
        changed = sum(1 for _, version in results if version)
        self.stdout.write(self.style.SUCCESS(f"{len(results)} tables checked, {changed} changed."))
