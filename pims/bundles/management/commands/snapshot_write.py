"""Write a county's de-identified national snapshot (docs/national-snapshot.md):
manage.py snapshot_write --county CODE --out DIR."""

from pathlib import Path

from django.core.management.base import BaseCommand

from pims.bundles.snapshot import write_snapshot


class Command(BaseCommand):
    help = "Write the de-identified Parquet snapshot of one county"

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True)
        parser.add_argument("--out", required=True)

    def handle(self, *args, county, out, **opts):
        manifest = write_snapshot(county, Path(out))
        self.stdout.write(f"snapshot of {county}: {manifest['rows']} → {Path(out) / county}")
