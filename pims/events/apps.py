from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "pims.events"
    verbose_name = _("信息变更")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        from .handlers import catalogue  # noqa: F401  (event rules join the catalogue)
        from .queues import register as register_queues

        register_queues()

        register_item(
            "registry",
            Item(_("信息变更单"), "events:report_list", Cap.VIEW_PERSONAL, _("按月填报、提交和审核信息变更单")),
        )
        register_item(
            "registry",
            Item(_("变更单报送情况"), "events:village_status", Cap.REVIEW, _("各村每月变更单是否按时报送")),
        )
        register_item(
            "stats",
            Item(_("人口变动平衡表"), "events:population", Cap.VIEW_REPORTS, _("期初、出生、死亡、迁入、迁出、期末")),
        )
