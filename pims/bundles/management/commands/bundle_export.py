"""Export the county's accepted months not yet in a bundle: manage.py bundle_export --county CODE [--copy-to DIR]."""

import shutil

from django.core.management.base import BaseCommand, CommandError

from pims.bundles import services
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Write the next bundle of a county (its newly accepted months) for the province"

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True)
        parser.add_argument("--copy-to", default="", help="also copy the file to this folder (e.g. a USB disk)")

    def handle(self, *args, county, copy_to, **opts):
        try:
            bundle = services.bundle_export(county_code=county)
        except Refused as exc:
            raise CommandError(exc.message) from None
        path = services.bundle_path("out", bundle.file_name)
        if copy_to:
            shutil.copy2(path, copy_to)
        rows = sum(bundle.counts.values())
        self.stdout.write(f"bundle {bundle.sequence} of {county}: {len(bundle.periods)} months, {rows} rows → {path}")
