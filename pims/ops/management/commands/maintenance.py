from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from pims.audit.models import Action
from pims.audit.services import audit_record, system_username


class Command(BaseCommand):
    help = (
        "Maintenance mode for upgrades: `on` makes every page answer 503 with a page in Chinese (and /healthz "
        "report maintenance), `off` ends it, `status` prints it. Works while the database is being migrated."
    )

    def add_arguments(self, parser):
        parser.add_argument("state", choices=["on", "off", "status"])

    def handle(self, *args, state, **options):
        flag = Path(settings.MAINTENANCE_FILE)
        if state == "status":
            self.stdout.write("on" if flag.exists() else "off")
            return
        if state == "on":
            flag.write_text("maintenance\n")
        else:
            flag.unlink(missing_ok=True)
        try:  # the database may be mid-migration or down: the switch must work regardless
            audit_record(actor=None, username=system_username(), action=Action.UPDATE, obj=("ops.maintenance", state))
        except Exception as exc:  # noqa: BLE001
            self.stderr.write(f"(not audited: {exc.__class__.__name__})")
        self.stdout.write(self.style.SUCCESS(f"maintenance {state} ({flag})"))
