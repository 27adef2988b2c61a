from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "pims.search"
    verbose_name = _("信息查询")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        register_item(
            "query",
            Item(
                _("人员查询"),
                "search:search",
                Cap.VIEW_PERSONAL,
                _("按身份号码、姓名或拼音、年龄、区划、婚育状况等条件组合查询人员，保存查询并导出"),
            ),
        )
        register_item(
            "query", Item(_("我的查询"), "search:saved_list", Cap.VIEW_PERSONAL, _("重新运行或删除保存的查询"))
        )
