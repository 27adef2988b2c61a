from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "pims.programmes"
    verbose_name = _("奖励扶助与特别扶助")

    def ready(self):
        from . import queues
        from .views import register_nav

        register_nav()
        queues.register()
