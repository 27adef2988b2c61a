from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pims.accounts"
    verbose_name = _("账户")

    def ready(self):
        from . import signals  # noqa: F401  (login/logout/lockout audit receivers)
