"""Bundle keys of this instance (docs/operator/province.md):

manage.py bundle_keys init                 # once per instance: signing key + encryption identity
manage.py bundle_keys public FILE [--county CODE]   # the public file to send to the other side
manage.py bundle_keys trust FILE           # register the other side's public file
manage.py bundle_keys rotate               # a new key pair; old ones kept; send the new public file
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pims.bundles import keys, services
from pims.lib.errors import Refused


class Command(BaseCommand):
    help = "Set up, export, trust or rotate the bundle keys of this instance"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "public", "trust", "rotate"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--county", default="", help="the county code (a county instance's public file)")

    def handle(self, *args, action, file, county, **opts):
        try:
            if action == "init":
                pair = keys.init()
                self.stdout.write(
                    f"keys {pair.key_id} written to {keys.key_dir()} (0600); instance {keys.instance_id()}"
                )
            elif action == "rotate":
                pair = keys.rotate()
                self.stdout.write(f"new key {pair.key_id}; send the new public file to the other side")
            elif action == "public":
                if not file:
                    raise CommandError("public FILE: where to write the public file")
                data = keys.public_file(tier=settings.PIMS_TIER, county_code=county)
                Path(file).write_text(services.public_text(data))
                self.stdout.write(f"public keys of {data['tier']} instance {data['instance_id']} → {file}")
            else:
                if not file:
                    raise CommandError("trust FILE: the other side's public file")
                peer = services.peer_trust(name=Path(file).name, text=Path(file).read_text())
                self.stdout.write(f"trusted {peer.tier} {peer.county_code} key {peer.key_id}")
        except Refused as exc:
            raise CommandError(exc.message) from None
