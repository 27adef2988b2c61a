from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pims.accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from pims.web.modules import Item, register_item

        from . import signals  # noqa: F401  (login/logout/lockout audit receivers)
        from .roles import Cap

        register_item(
            "system",
            Item(
                _("用户管理"),
                "accounts:user_list",
                Cap.MANAGE_USERS,
                _("新增、修改、停用账户，重置密码、解锁和重置双因素认证"),
            ),
        )
