from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedQuery(models.Model):
    """A user's named search. `criteria` holds the search form's cleaned
    values (never a citizen ID number: queries by ID are not saved); they are
    validated again, against the owner's scope at that time, on every rerun."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("所有者"), on_delete=models.CASCADE, related_name="saved_queries"
    )
    name = models.CharField(_("名称"), max_length=60)
    criteria = models.JSONField(_("查询条件"), default=dict)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_query_name_unique_per_owner")]
        verbose_name = _("保存的查询")
        verbose_name_plural = _("保存的查询")

    def __str__(self):
        return self.name
