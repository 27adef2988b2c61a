from typing import Any

from django.core.management.base import BaseCommand

from pims.accounts.roles import roles_markdown


class Command(BaseCommand):
    help = "Print the role × capability matrix (docs/roles.md) as Markdown."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(roles_markdown(), ending="")
