from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "pims.documents"
    verbose_name = _("优质服务证件")

    def ready(self):
        from .queues import register_sources
        from .timeline import register_timeline
        from .views import register_nav

        register_nav()
        register_sources()
        register_timeline()
