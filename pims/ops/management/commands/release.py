from django.core.management.base import BaseCommand
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

import pims


class Command(BaseCommand):
    help = "Print the release, and whether the database's migrations are up to date (for upgrades and bug reports)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        self.stdout.write(f"pims {pims.__version__}")
        try:
            executor = MigrationExecutor(connections[database])
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # no database reachable: the release alone still helps
            self.stdout.write(f"database: not reachable ({exc.__class__.__name__})")
            return
        if pending:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
            self.stdout.write(f"database: {len(pending)} migrations to apply ({names}): run manage.py migrate")
        else:
            self.stdout.write("database: migrations up to date")
