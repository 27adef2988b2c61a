from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BundlesConfig(AppConfig):
    name = "pims.bundles"
    verbose_name = _("数据上报")

    def ready(self):
        from .views import register_nav

        register_nav()
