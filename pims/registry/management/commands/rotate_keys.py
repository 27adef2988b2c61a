from django.core.management.base import BaseCommand, CommandError

from pims.audit.services import system_ip, system_username
from pims.registry.keys import RotationRefused, rotate_keys


class Command(BaseCommand):
    help = (
        "Bring every stored ID and phone number to the current keys: re-encrypt under the first key in "
        "FIELD_ENCRYPTION_KEYS and recompute the search indexes with BLIND_INDEX_KEY (docs/operator/keys.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size, **options):
        def progress(last_pk, changed):
            self.stderr.write(f"\r… up to person #{last_pk}, {changed} re-encrypted", ending="")

        try:
            changed = rotate_keys(batch_size=batch_size, progress=progress, ip=system_ip(), username=system_username())
        except RotationRefused as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"{changed} persons re-encrypted or re-indexed with the current keys"))
