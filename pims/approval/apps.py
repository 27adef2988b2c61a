from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalConfig(AppConfig):
    name = "pims.approval"
    verbose_name = _("月度审批")

    def ready(self):
        from .queues import register
        from .views import register_nav

        register_nav()
        register()
