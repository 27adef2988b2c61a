from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SampleDraw(models.Model):
    """One quality-sampling draw (质量抽查) over a village's collected forms.

    The draw is reproducible: the seed and the size of the frame are stored,
    and `pims.registry.sampling.sample_draw` picks the same households again
    from the same frame with the same seed.
    """

    village = models.ForeignKey("regions.Region", verbose_name=_("抽查村"), on_delete=models.PROTECT, related_name="+")
    # The village's 12-digit code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抽样人"), on_delete=models.PROTECT, related_name="+"
    )
    seed = models.BigIntegerField(_("随机种子"))
    requested_count = models.PositiveIntegerField(_("抽取户数"), null=True, blank=True)
    requested_percent = models.DecimalField(_("抽取比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    frame_size = models.PositiveIntegerField(_("抽样框户数"))
    drawn_at = models.DateTimeField(_("抽样时间"))

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("质量抽查")
        verbose_name_plural = _("质量抽查")

    def __str__(self):
        return f"sample {self.pk} {self.region_code} seed={self.seed}"


class SampleItem(models.Model):
    """One drawn household and the result of re-checking it against the
    paper form and the family (items checked, items found wrong)."""

    draw = models.ForeignKey(SampleDraw, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("抽取顺序"))
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    items_checked = models.PositiveIntegerField(_("核查项数"), null=True, blank=True)
    items_wrong = models.PositiveIntegerField(_("差错项数"), null=True, blank=True)
    note = models.TextField(_("核查说明"), blank=True)

    class Meta:
        ordering = ["draw", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "household"], name="sampleitem_household_once_per_draw"),
            models.CheckConstraint(
                condition=models.Q(items_wrong__isnull=True) | models.Q(items_wrong__lte=models.F("items_checked")),
                name="sampleitem_wrong_le_checked",
            ),
        ]
        verbose_name = _("抽查户")
        verbose_name_plural = _("抽查户")

    def __str__(self):
        return f"sample item {self.draw_id}#{self.position} hh={self.household_id}"


class VillageBaseline(models.Model):
    """The head-count baseline (摸底) of a village: how many households and
    persons the survey expects. Append-only: a corrected figure is a new row,
    and the latest row per village counts."""

    village = models.ForeignKey("regions.Region", verbose_name=_("村/社区"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    expected_households = models.PositiveIntegerField(_("摸底户数"))
    expected_persons = models.PositiveIntegerField(_("摸底人数"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        ordering = ["region_code", "-entered_at", "-id"]
        indexes = [models.Index(fields=["village", "-entered_at"], name="baseline_latest")]
        verbose_name = _("摸底基数")
        verbose_name_plural = _("摸底基数")

    def __str__(self):
        return f"baseline {self.region_code}: {self.expected_households} hh / {self.expected_persons} p"
