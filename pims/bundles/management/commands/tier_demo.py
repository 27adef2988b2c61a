"""manage.py tier_demo county — the county half of `make tiers`: demo data
collected last month, that month approved and accepted for the demo township
(pims.bundles.demo). Refused in production."""

from django.core.management.base import BaseCommand, CommandError

from pims.bundles import demo
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Demo data for the county of a county + province demonstration (never in production)"

    def add_arguments(self, parser):
        parser.add_argument("tier", choices=["county"])

    def handle(self, *args, tier, **opts):
        try:
            demo.county_demo(stdout=self.stdout)
        except Refused as exc:
            raise CommandError(exc.message) from None
