from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class FormState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核通过")


class Household(TravellingRecord):
    """A household (户) and its collection form (数据采集表).

    The form's workflow state lives on the household: the register row *is*
    the form until it is approved, after which it changes only through events.
    """

    class Type(models.TextChoices):
        FAMILY = "1", _("家庭户")
        COLLECTIVE = "2", _("集体户")

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        DISSOLVED = "dissolved", _("已撤销")

    village = models.ForeignKey(
        "regions.Region", verbose_name=_("户籍所在村"), on_delete=models.PROTECT, related_name="households"
    )
    # The village's 12-digit code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    number = models.CharField(_("户编号"), max_length=20)
    hh_type = models.CharField(_("户类型"), max_length=1, choices=Type.choices, default=Type.FAMILY)
    address = models.CharField(_("住址"), max_length=200)
    head = models.ForeignKey(
        "registry.Person", verbose_name=_("户主"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    form_number = models.CharField(_("采集表编号"), max_length=30, blank=True)
    volume_number = models.CharField(_("装订册号"), max_length=30, blank=True)
    form_scan = models.FileField(_("采集表扫描件"), upload_to="form_scans/%Y/", blank=True)
    form_state = models.CharField(_("采集表状态"), max_length=10, choices=FormState.choices, default=FormState.DRAFT)
    collected_on = models.DateField(_("采集日期"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    # Optimistic locking: every save increments it; a save carrying an older
    # version is refused as a conflict.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_code", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="household_number_unique_in_village")]
        indexes = [models.Index(fields=["region_code", "form_state"], name="household_scope_state")]
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self):
        return f"{self.region_code}-{self.number}"


class ReviewComment(models.Model):
    """A reviewer's comment on one field of a returned form."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="review_comments")
    field = models.CharField(_("字段"), max_length=60, blank=True)
    row = models.PositiveSmallIntegerField(_("成员行号"), null=True, blank=True)
    message = models.TextField(_("意见"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(_("已处理"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")

    def __str__(self):
        return f"{self.household_id}:{self.field} {self.message[:20]}"
