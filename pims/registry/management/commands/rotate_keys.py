from django.core.management.base import BaseCommand

from pims.registry.keys import rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt citizen ID and phone numbers under the first key in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size, **options):
        def progress(last_pk, changed):
            self.stderr.write(f"\r… up to person #{last_pk}, {changed} re-encrypted", ending="")

        changed = rotate_keys(batch_size=batch_size, progress=progress)
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"{changed} persons re-encrypted with the current key"))
