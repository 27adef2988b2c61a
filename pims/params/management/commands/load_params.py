from django.core.management.base import BaseCommand

from pims.params.seed import SEED_FILE
from pims.params.services import parameters_load


class Command(BaseCommand):
    help = "Load the committed policy parameters (pims/params/data/parameters.toml); never changes stored rows."

    def handle(self, *args, **options):
        changed, added = parameters_load()
        self.stdout.write(f"{SEED_FILE.name}: {changed} definitions created or updated, {added} values added")
