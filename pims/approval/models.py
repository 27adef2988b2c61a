"""The approval of a township's month (issue 19.1, as DHIS2's data approval).

One row per township and month: the township approves its data of the
month (forms, change reports, events), the county accepts it. An approved
or accepted month is locked: nothing more is filed for it, and a later
change is a correction that lands in a later month (the statistics count
events in their approval month already). Bundles to the province (issue
19.2) carry the accepted months; `uploaded_at` records the province's
acknowledgement.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class ApprovalState(models.TextChoices):
    OPEN = "open", _("未审批")
    APPROVED = "approved", _("乡镇已审批")
    ACCEPTED = "accepted", _("县级已确认")


LOCKED_STATES = (ApprovalState.APPROVED, ApprovalState.ACCEPTED)


class PeriodApproval(TravellingRecord):
    region = models.ForeignKey("regions.Region", verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="+")
    # The township's 12-digit code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12)
    period = models.CharField(_("月份"), max_length=7)
    state = models.CharField(_("状态"), max_length=10, choices=ApprovalState.choices, default=ApprovalState.OPEN)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # Set when the province acknowledged the bundle carrying this month.
    uploaded_at = models.DateTimeField(_("上传时间"), null=True, blank=True)
    # Why the last approval or acceptance was withdrawn (kept for the record).
    withdrawn_reason = models.TextField(_("撤回原因"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-period", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["region_code", "period"], name="periodapproval_one_per_month"),
        ]
        indexes = [models.Index(fields=["period", "region_code"], name="periodapproval_period")]
        verbose_name = _("月度审批")
        verbose_name_plural = _("月度审批")

    def __str__(self) -> str:
        return f"{self.region_code} {self.period} {self.state}"

    @property
    def locked(self) -> bool:
        return self.state in LOCKED_STATES
