from django.core.management.base import BaseCommand, CommandError

from pims.audit.anchors import AnchorError, anchor_path, write_anchor
from pims.audit.verify import verify_database


class Command(BaseCommand):
    help = (
        "Append a signed anchor of the audit chain's head to AUDIT_ANCHOR_FILE (outside the database), after "
        "verifying the chain. Scheduled every 15 minutes (docs/operator/monitoring.md)."
    )

    def handle(self, *args, **options):
        report = verify_database()
        if not report.ok:
            raise CommandError(f"audit chain broken, no anchor written: {report.broken}")
        try:
            data = write_anchor()
        except (AnchorError, OSError) as exc:
            raise CommandError(f"cannot write the anchor to {anchor_path()}: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"anchored seq {data['seq']} {data['entry_hash']} in {anchor_path()}"))
