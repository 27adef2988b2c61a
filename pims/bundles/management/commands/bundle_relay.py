"""At the province: manage.py bundle_relay --county CODE [--copy-to DIR] — the exchange messages
waiting for a county, as its next relay bundle."""

import shutil

from django.core.management.base import BaseCommand, CommandError

from pims.bundles import services
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Write the next relay bundle (exchange messages from other counties) for a county"

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True)
        parser.add_argument("--copy-to", default="", help="also copy the file to this folder (e.g. a USB disk)")

    def handle(self, *args, county, copy_to, **opts):
        try:
            bundle = services.relay_export(county_code=county)
        except Refused as exc:
            raise CommandError(exc.message) from None
        path = services.bundle_path("out", bundle.file_name)
        if copy_to:
            shutil.copy2(path, copy_to)
        rows = bundle.counts.get("exchange.Message", 0)
        self.stdout.write(f"relay bundle {bundle.sequence} for {county}: {rows} messages → {path}")
