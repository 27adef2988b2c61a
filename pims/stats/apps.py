from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "pims.stats"
    verbose_name = _("统计分析")

    def ready(self):
        from pims.web.selectors import DASHBOARD_PANELS

        from .dashboard import dashboard_panels
        from .views import register_nav

        register_nav()
        if dashboard_panels not in DASHBOARD_PANELS:
            DASHBOARD_PANELS.append(dashboard_panels)
