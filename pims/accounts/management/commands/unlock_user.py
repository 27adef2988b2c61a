"""Unlock an account from the server's shell, audited like the 解锁 button:

    manage.py unlock_user USERNAME

For when no administrator can sign in (the only system administrator is
locked out). It lifts both lockout rules for the account (django-axes'
records and the per-account guard) through the accounts service, so the
audit log records the unlock with the counts removed and the SSH client's
address. Use this, not django-axes' own `axes_reset*` commands, which leave
no audit entry.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pims.accounts.models import User
from pims.accounts.services import user_unlock


class Command(BaseCommand):
    help = "解除账号的登录锁定（记入审计日志）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).select_related("region").first()
        if user is None:
            raise CommandError(f"账号 {username} 不存在")
        removed = user_unlock(actor=None, user=user)
        self.stdout.write(f"已解除 {user.username} 的登录锁定（清除 {removed} 条失败记录），已记入审计日志。")
