from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from pims.audit.owner import owner_sql, revert_sql


class Command(BaseCommand):
    help = (
        "Print the SQL that puts the audit tables under their own owner role (PostgreSQL), for a superuser: "
        "`manage.py audit_owner_sql | sudo -u postgres psql -v ON_ERROR_STOP=1 pims`. --revert gives them back "
        "(before migrating a release whose CHANGELOG says the audit tables change)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="pims_audit", help="owner role of the audit tables (NOLOGIN)")
        parser.add_argument(
            "--app-role", default=None, help="the application's database role (default: the DATABASE_URL user)"
        )
        parser.add_argument("--revert", action="store_true", help="give the audit tables back to the application")

    def handle(self, *args, owner, app_role, revert, **options):
        if connection.vendor != "postgresql":
            raise CommandError("audit table ownership applies to PostgreSQL only")
        app_role = app_role or connection.settings_dict["USER"]
        if not app_role:
            raise CommandError("give --app-role (DATABASE_URL names no user)")
        try:
            statements = (revert_sql if revert else owner_sql)(owner=owner, app_role=app_role)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("BEGIN;")
        for statement in statements:
            self.stdout.write(f"{statement};")
        self.stdout.write("COMMIT;")
