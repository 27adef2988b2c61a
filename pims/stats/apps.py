from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "pims.stats"
    verbose_name = _("统计分析")

    def ready(self):
        from .views import register_nav

        register_nav()
