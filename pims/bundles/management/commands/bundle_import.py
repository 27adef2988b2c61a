"""manage.py bundle_import FILE [--receipt FILE] — at the province: verify, apply (or hold) a county's
bundle and write the receipt; at a county: the province's relay bundle of exchange messages."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pims.bundles import services
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Import a county's bundle at the province and write the signed receipt for the county"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--receipt", default="", help="where to write the receipt (default FILE.receipt)")

    def handle(self, *args, file, receipt, **opts):
        path = Path(file)
        if services.tier() == "county":
            return self._relay(path)
        try:
            bundle = services.bundle_import(data=path.read_bytes(), name=path.name)
        except Refused as exc:
            raise CommandError(f"refused: {exc.message}") from None
        target = Path(receipt or f"{file}.receipt")
        target.write_bytes(services.receipt_for(bundle))
        self.stdout.write(
            f"bundle {bundle.sequence} of {bundle.county_code}: {bundle.get_state_display()} → receipt {target}"
        )

    def _relay(self, path: Path) -> None:
        try:
            bundle = services.relay_import(data=path.read_bytes(), name=path.name)
        except Refused as exc:
            raise CommandError(f"refused: {exc.message}") from None
        self.stdout.write(f"relay bundle {bundle.sequence} for {bundle.county_code}: {bundle.get_state_display()}")
