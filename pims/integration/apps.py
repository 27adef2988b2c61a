from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "pims.integration"
    verbose_name = _("外部数据导入")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        from . import rules  # noqa: F401  (import rules join the catalogue)
        from .sources.civil import rules as civil_rules  # noqa: F401

        register_item(
            "registry",
            Item(
                _("公安户籍导入"),
                "integration:import_list",
                Cap.IMPORT_DATA,
                _("上传公安户籍数据文件，后台导入并查看进度和退回行"),
            ),
        )
