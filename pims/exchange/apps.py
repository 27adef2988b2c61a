from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "pims.exchange"
    verbose_name = _("信息交换")

    def ready(self):
        from .queues import register as register_queues
        from .views import register_nav

        register_nav()
        register_queues()
