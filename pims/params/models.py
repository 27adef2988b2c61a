from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INT = "int", _("整数")
    DECIMAL = "decimal", _("小数")
    DATE = "date", _("日期")
    TEXT = "text", _("文字")
    BOOL = "bool", _("是/否")


class Parameter(models.Model):
    """A policy value the rules read (a legal age, an amount, a due day).

    The definition (title, type, unit, allowed range) ships with the code in
    `pims/params/data/parameters.toml`; its values are `ParameterValue` rows."""

    key = models.CharField(_("参数标识"), max_length=80, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    description = models.TextField(_("说明"), blank=True)
    # Canonical text of the allowed range (same kind as the value); "" = none.
    minimum = models.CharField(_("下限"), max_length=60, blank=True)
    maximum = models.CharField(_("上限"), max_length=60, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("政策参数")
        verbose_name_plural = _("政策参数")

    def __str__(self):
        return f"{self.title}（{self.key}）"


class ParameterValue(models.Model):
    """One recorded value of a parameter for a stretch of dates.

    Append-only: an amendment is a new row, nothing is updated or deleted.
    The value in force on a day is that of the latest amendment covering the
    day, else of the latest seed row covering it (pims.params.selectors), so
    history — what was believed when, and on whose word — stays readable."""

    class Status(models.TextChoices):
        VERIFIED = "verified", _("已核实")
        UNVERIFIED = "unverified", _("待核实")

    class Origin(models.TextChoices):
        SEED = "seed", _("随系统发布")
        AMENDMENT = "amendment", _("管理员修订")

    parameter = models.ForeignKey(Parameter, on_delete=models.PROTECT, related_name="values")
    value = models.CharField(_("取值"), max_length=200)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("含当日；空 = 长期有效"))
    source = models.TextField(_("依据来源"))
    confirmed_by = models.CharField(_("核实人"), max_length=100, blank=True)
    status = models.CharField(_("核实状态"), max_length=12, choices=Status.choices)
    note = models.TextField(_("修订说明"), blank=True)
    origin = models.CharField(_("来源类别"), max_length=12, choices=Origin.choices)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["parameter__key", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="parametervalue_interval",
            )
        ]
        verbose_name = _("参数取值")
        verbose_name_plural = _("参数取值")

    def __str__(self):
        return f"{self.parameter.key}={self.value} [{self.valid_from}–{self.valid_to or ''}]"
