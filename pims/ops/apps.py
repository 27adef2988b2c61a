from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "pims.ops"
    verbose_name = _("运维")

    def ready(self):
        checks.register(keys_fit_the_data, checks.Tags.database)
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        register_item(
            "system",
            Item(
                _("定时任务"),
                "ops:schedule",
                Cap.VIEW_SCHEDULED_JOBS,
                _("备份、审计验证等定时任务的计划和最近一次结果"),
            ),
        )


def keys_fit_the_data(app_configs=None, databases=None, **kwargs):
    """`manage.py check --database default`: the keys can read and search the data."""
    from .keys import KeyMismatch, check_keys_against_data

    errors = []
    for alias in databases or []:
        try:
            check_keys_against_data(alias)
        except KeyMismatch as exc:
            errors.append(checks.Error(str(exc), id="pims.E101"))
    return errors
