from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Volume(models.Model):
    """A bound volume of paper collection forms (装订册): the seed binds the
    forms by village (and 中心户) into volumes that must not be split, so a
    volume belongs to one village and a household's form is in the volume of
    its village whose number its `volume_number` names."""

    village = models.ForeignKey("regions.Region", verbose_name=_("村/社区"), on_delete=models.PROTECT, related_name="+")
    # The village's code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    number = models.CharField(_("装订册号"), max_length=30)
    centre_household = models.CharField(_("中心户"), max_length=60, blank=True)
    kept_at = models.CharField(_("存放地点"), max_length=120)
    holder = models.CharField(_("保管人"), max_length=60)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["region_code", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="volume_number_unique_in_village")]
        verbose_name = _("装订册")
        verbose_name_plural = _("装订册")

    def __str__(self):
        return f"{self.region_code} {self.number}"
