from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "pims.ops"
    verbose_name = _("运维")

    def ready(self):
        checks.register(keys_fit_the_data, checks.Tags.database)


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
