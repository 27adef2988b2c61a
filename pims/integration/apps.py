from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "pims.integration"
    verbose_name = _("外部数据导入")

    def ready(self):
        from . import rules  # noqa: F401  (import rules join the catalogue)
