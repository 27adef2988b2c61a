"""At the county: manage.py bundle_receipt FILE — read the province's receipt; an applied bundle's months become uploaded."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pims.bundles import services
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Read the province's receipt for a bundle"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **opts):
        try:
            bundle = services.receipt_import(data=Path(file).read_bytes())
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"bundle {bundle.sequence}: {bundle.get_state_display()} {bundle.message}")
