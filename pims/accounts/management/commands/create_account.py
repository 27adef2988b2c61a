"""An account created on the server, for the accounts no one in the web
interface may create (issue 14.1): the first county administrator of a
county, city and province viewers, auditors:

    manage.py create_account USERNAME --role county_admin --region 210124000000

In the web interface no one gives an account more access than their own, and
only a county administrator of its subtree gives access to personal data
(pims.accounts.privilege). The password is asked twice on the terminal (or
read with --password-stdin); the creation is audited as done by the system.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from pims.accounts.roles import Role
from pims.accounts.services import user_create
from pims.regions.models import Region

from .create_sysadmin import Command as CreateSysadmin


class Command(CreateSysadmin):
    help = "在服务器上创建账号（首个县管理员、市/省查询、审计员等）"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(  # type: ignore[override]
        self, *args: Any, username: str, region: str, role: str, full_name: str, password_stdin: bool, **options: Any
    ) -> None:
        place = Region.objects.filter(code=region.strip()).first()
        if place is None:
            raise CommandError(f"区划代码 {region} 不存在（请先运行 load_regions）")
        password = self._password(password_stdin)
        try:
            user = user_create(
                actor=None, username=username, password=password, role=role, region=place, full_name=full_name
            )
        except ValidationError as exc:
            lines = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
            raise CommandError("未创建账号：\n" + "\n".join(lines)) from None
        self.stdout.write(f"已创建{Role(role).label} {user.username}（{place.name}）。")
