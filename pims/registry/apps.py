from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "pims.registry"
    verbose_name = _("基础信息")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item
        from pims.web.selectors import DASHBOARD_COUNTERS

        from . import checks  # noqa: F401  (fill the rule catalogue)
        from .check_views import register_nav as register_check_nav
        from .quality_views import register_nav as register_quality_nav
        from .queues import register as register_queues
        from .selectors import dashboard_counts
        from .volume_views import register_nav as register_volume_nav

        register_item(
            "registry",
            Item(_("户信息采集表"), "registry:household_list", Cap.VIEW_PERSONAL, _("按户录入、提交和审核数据采集表")),
        )
        register_check_nav()
        register_queues()
        register_quality_nav()
        register_volume_nav()
        if dashboard_counts not in DASHBOARD_COUNTERS:
            DASHBOARD_COUNTERS.append(dashboard_counts)
