from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "pims.integration"
    verbose_name = _("外部数据导入")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        from . import rules  # noqa: F401  (import rules join the catalogue)
        from .queues import register as register_queues
        from .sources.civil import rules as civil_rules  # noqa: F401
        from .sources.health import rules as health_rules  # noqa: F401
        from .sources.police_changes import rules as police_change_rules  # noqa: F401

        register_queues()

        register_item(
            "registry",
            Item(
                _("公安户籍导入"),
                "integration:import_list",
                Cap.IMPORT_DATA,
                _("上传公安户籍数据文件，后台导入并查看进度和退回行"),
            ),
        )
        register_item(
            "registry",
            Item(
                _("民政婚姻登记导入"),
                "integration:civil_import",
                Cap.COUNTY_ADMIN,
                _("上传民政部门的婚姻登记数据：结婚、离婚自动生成变更事件，对不上的记录进入待核对"),
            ),
        )
        register_item(
            "registry",
            Item(
                _("卫健出生医学证明导入"),
                "integration:health_import",
                Cap.IMPORT_DATA,
                _("上传卫健部门的出生医学证明数据：对上的出生自动生成变更事件，对不上的记录进入待核对"),
            ),
        )
        register_item(
            "registry",
            Item(
                _("公安户口变动导入"),
                "integration:police_changes_import",
                Cap.IMPORT_DATA,
                _("上传公安的户口变动数据：对上的迁出、死亡、注销自动生成变更事件，其余进入待核对"),
            ),
        )
        register_item(
            "registry",
            Item(
                _("部门数据待核对"),
                "integration:review_list",
                Cap.REVIEW,
                _("民政等部门数据中未能与登记库完全对上的记录：对照核对后确认或驳回"),
            ),
        )
