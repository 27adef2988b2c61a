from datetime import date

from django.core.management.base import BaseCommand, CommandError

from pims.regions.loader import BUNDLED_FILES, DATA_VINTAGE, RegionFileError, parse_region_file
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
        "Load administrative regions from CSV files (code,name,level,parent_code). "
        "With no files, loads the bundled national county list and Faku County's villages."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="region CSV files, applied in order")
        parser.add_argument(
            "--effective",
            type=_date,
            default=DATA_VINTAGE,
            help=f"valid-from date of new regions and date of recorded changes (default {DATA_VINTAGE})",
        )

    def handle(self, *args, files, effective, **options):
        effective = _date(effective)  # call_command() passes option values unconverted
        paths = files or BUNDLED_FILES
        try:
            # Every file is read and checked before anything is written.
            parsed = [parse_region_file(path) for path in paths]
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
