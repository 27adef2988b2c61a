from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_seed(sender, using="default", **kwargs):
    """Every `migrate` (and the flush that ends a transactional test) leaves
    the committed parameter values in the table, as Django does for content
    types: a register must never run without its legal limits. Loading is
    additive and idempotent (pims.params.seed); `manage.py load_params` does
    the same with an audit entry."""
    from django.db import connections

    from .models import Parameter
    from .seed import load_seed
    from .selectors import param_cache_clear

    if Parameter._meta.db_table not in connections[using].introspection.table_names():
        return
    load_seed(using=using)
    param_cache_clear()


class ParamsConfig(AppConfig):
    name = "pims.params"
    verbose_name = _("政策参数")

    def ready(self):
        from pims.accounts.roles import Cap
        from pims.web.modules import Item, register_item

        post_migrate.connect(_load_seed, sender=self, dispatch_uid="pims.params.load_seed")
        register_item(
            "system",
            Item(
                _("政策参数"),
                "params:list",
                Cap.VIEW_PARAMETERS,
                _("法定婚龄、生育年龄界限、报送日等政策参数及其生效日期、依据和核实状态"),
            ),
        )
