"""The first system administrator of an installation:

    manage.py create_sysadmin USERNAME --region 210124000000

The password is asked twice on the terminal (or read from standard input with
--password-stdin, for provisioning scripts); it must pass the password
policy. The account is created through the accounts service, so the same
rules apply as in user management and the creation is audited. The
administrator sets up two-factor authentication at the first sign-in.
"""

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pims.accounts.roles import Role
from pims.accounts.services import user_create
from pims.regions.models import Region


class Command(BaseCommand):
    help = "创建系统管理员账号（首次安装时使用）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--region", required=True, help="所属区划的 12 位代码（通常是本县）")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")

    def handle(
        self, *args: Any, username: str, region: str, full_name: str, password_stdin: bool, **options: Any
    ) -> None:
        place = Region.objects.filter(code=region.strip()).first()
        if place is None:
            raise CommandError(f"区划代码 {region} 不存在（请先运行 load_regions）")
        password = self._password(password_stdin)
        try:
            user = user_create(
                actor=None, username=username, password=password, role=Role.SYSADMIN, region=place, full_name=full_name
            )
        except ValidationError as exc:
            lines = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
            raise CommandError("未创建账号：\n" + "\n".join(lines)) from None
        self.stdout.write(f"已创建系统管理员 {user.username}（{place.name}）；首次登录时设置双因素认证。")

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("密码: ")
        if first != getpass.getpass("再次输入密码: "):
            raise CommandError("两次输入的密码不一致")
        return first
