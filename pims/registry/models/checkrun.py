from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckRun(models.Model):
    """One batch logic check (批量逻辑审核) over a region's subtree.

    Results are derived data: counts per (rule, village) in `CheckResult`
    and the violating rows in `CheckHit`, both written set-based by
    `pims.registry.checks.batch`.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    region = models.ForeignKey("regions.Region", verbose_name=_("审核区划"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    persons = models.PositiveIntegerField(_("人数"), default=0)
    rules = models.PositiveSmallIntegerField(_("规则数"), default=0)
    errors = models.PositiveIntegerField(_("错误数"), default=0)
    warnings = models.PositiveIntegerField(_("提示数"), default=0)
    households_with_errors = models.PositiveIntegerField(_("有错误的户数"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("批量审核")
        verbose_name_plural = _("批量审核")

    def __str__(self):
        return f"check run {self.pk} {self.region_code}"


class CheckResult(models.Model):
    """How often one rule fired in one village during a run."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="results")
    rule_id = models.CharField(_("规则"), max_length=8)
    severity = models.CharField(_("级别"), max_length=10)
    village_code = models.CharField(_("村级区划代码"), max_length=12)
    hits = models.PositiveIntegerField(_("问题数"))
    households = models.PositiveIntegerField(_("涉及户数"))

    class Meta:
        ordering = ["rule_id", "village_code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "rule_id", "village_code"], name="checkresult_unique_cell")
        ]
        verbose_name = _("审核结果")
        verbose_name_plural = _("审核结果")

    def __str__(self):
        return f"{self.rule_id}@{self.village_code}: {self.hits}"


class CheckHit(models.Model):
    """One violating row found by a run, for drill-down."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="hits")
    rule_id = models.CharField(_("规则"), max_length=8)
    severity = models.CharField(_("级别"), max_length=10)
    village_code = models.CharField(_("村级区划代码"), max_length=12)
    # Derived rows: no foreign-key constraint, so a later correction that
    # removes a person or household never has to touch old reports.
    household = models.ForeignKey(
        "registry.Household", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    row = models.PositiveSmallIntegerField(_("表内行号"), null=True)

    class Meta:
        indexes = [models.Index(fields=["run", "rule_id", "village_code"], name="checkhit_cell")]
        verbose_name = _("审核命中")
        verbose_name_plural = _("审核命中")

    def __str__(self):
        return f"{self.rule_id} hh={self.household_id} row={self.row}"
