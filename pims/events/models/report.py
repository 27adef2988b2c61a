from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord

from .event import Event


class ReportState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核通过")


OPEN_STATES = (ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED)


class ChangeReport(TravellingRecord):
    """A monthly change report (信息变更单): one region's batch of events for a
    month, from one source. A village clerk files the village's report; the
    township operator files the police's events and the county the civil
    affairs' for a township. All are reviewed by the township and applied
    together (pims.events.services)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    # The region's code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    period = models.CharField(_("报告月份"), max_length=7)
    source = models.CharField(_("来源"), max_length=10, choices=Event.Source.choices, default=Event.Source.VILLAGE)
    state = models.CharField(_("状态"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-period", "region_code", "id"]
        constraints = [
            # One open report per region, month and source; a supplementary
            # report (补报) may follow once the first is approved.
            models.UniqueConstraint(
                fields=["region_code", "period", "source"],
                condition=Q(state__in=["draft", "submitted", "returned"]),
                name="changereport_one_open",
            ),
        ]
        indexes = [models.Index(fields=["region_code", "period"], name="changereport_scope_period")]
        verbose_name = _("信息变更单")
        verbose_name_plural = _("信息变更单")

    def __str__(self):
        return f"{self.region_code} {self.period} {self.source}"


class ChangeReportComment(models.Model):
    """A reviewer's comment on a returned report, optionally on one event
    and one of its items; the clerk's edit form of that event shows it."""

    report = models.ForeignKey(ChangeReport, on_delete=models.CASCADE, related_name="comments")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The item of the event the comment is about (an input's name or label,
    # e.g. "effective_date" or "发生日期"); blank: the whole event.
    field = models.CharField(_("针对的项目"), max_length=40, blank=True)
    message = models.TextField(_("意见"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("变更单审核意见")
        verbose_name_plural = _("变更单审核意见")

    def __str__(self):
        return self.message[:20]
