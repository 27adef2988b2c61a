from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pims.regions.loader import (
    DATA_VINTAGE,
    DEFAULT_COUNTY,
    VILLAGES_FILE,
    RegionFileError,
    bundled_files,
    parse_region_file,
)
from pims.regions.services import regions_load


def _date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--effective must be YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Load administrative regions from CSV files (code,name,level,parent_code). With no files, loads the "
        "bundled national county list and the townships and villages of --county (default 210124 法库县) "
        "from the bundled Liaoning file, or from --villages-file for a county of another province."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="region CSV files, applied in order")
        parser.add_argument(
            "--county",
            action="append",
            default=None,
            metavar="CODE",
            help=f"6-digit county code whose townships and villages to load (repeatable; default {DEFAULT_COUNTY})",
        )
        parser.add_argument(
            "--villages-file",
            type=Path,
            default=VILLAGES_FILE,
            help="a province's township/village file of the same source and layout (default: Liaoning's)",
        )
        parser.add_argument(
            "--effective",
            type=_date,
            default=DATA_VINTAGE,
            help=f"valid-from date of new regions and date of recorded changes (default {DATA_VINTAGE})",
        )

    def handle(
        self,
        *args: Any,
        files: list[str],
        county: list[str] | None,
        villages_file: str | Path,
        effective: str | date,
        **options: Any,
    ) -> None:
        effective = _date(effective)  # call_command() passes option values unconverted
        if files and (county or Path(villages_file) != VILLAGES_FILE):
            raise CommandError("give either region files or --county/--villages-file, not both")
        try:
            # Every file is read and checked before anything is written.
            if files:
                parsed = [parse_region_file(Path(path)) for path in files]
            else:
                parsed = bundled_files(tuple(county or [DEFAULT_COUNTY]), Path(villages_file))
            results = regions_load(actor=None, files=parsed, effective=effective)
        except RegionFileError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] < 1:
            return
        for result in results:
            counts = " ".join(f"{key}={value}" for key, value in result.summary().items())
            self.stdout.write(f"{result.file}: {counts}")
            if result.skipped_codes:
                self.stdout.write(
                    f"  skipped {', '.join(result.skipped_codes)}: pseudo-rows whose 12-digit code equals "
                    "their parent's (a prefecture city without counties listed again as a county)"
                )
        self.stdout.write(self.style.SUCCESS(f"Regions loaded (effective {effective})."))
