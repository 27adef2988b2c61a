from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """Codes match the `event_type` code table; only the baseline is applied
    by the register work so far, the change-event work adds the rest."""

    BASELINE = "baseline", _("基线采集")


class Event(models.Model):
    """An append-only register event (变动). Every change to the register after
    collection is one of these; the first collection writes a *baseline*."""

    class Source(models.TextChoices):
        VILLAGE = "village", _("村报告")
        POLICE = "police", _("公安")
        CIVIL = "civil", _("民政")
        HEALTH = "health", _("卫健")
        CLERK = "clerk", _("录入员")

    class Review(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    event_type = models.CharField(_("变动类型"), max_length=20, db_index=True)
    person = models.ForeignKey("registry.Person", null=True, on_delete=models.PROTECT, related_name="events")
    household = models.ForeignKey("registry.Household", null=True, on_delete=models.PROTECT, related_name="events")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    effective_date = models.DateField(_("发生日期"))
    report_date = models.DateField(_("报告日期"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    review_status = models.CharField(_("审核状态"), max_length=10, choices=Review.choices, default=Review.PENDING)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name = _("变动事件")
        verbose_name_plural = _("变动事件")

    def __str__(self):
        return f"{self.event_type} {self.effective_date}"


class Spell(models.Model):
    """A person's presence in a region over [start, end), of one kind."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("户籍")
        RESIDENT = "resident", _("常住")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="spells")
    household = models.ForeignKey("registry.Household", null=True, on_delete=models.PROTECT, related_name="spells")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    region_code = models.CharField(_("区划代码"), max_length=12)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    opened_by = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="opened_spells")
    closed_by = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="closed_spells")

    class Meta:
        constraints = [
            # At most one open spell of each kind per person.
            models.UniqueConstraint(fields=["person", "kind"], condition=Q(end__isnull=True), name="spell_one_open"),
        ]
        indexes = [models.Index(fields=["region_code", "kind", "start"], name="spell_region_kind_start")]
        verbose_name = _("人口时段")
        verbose_name_plural = _("人口时段")

    def __str__(self):
        return f"{self.person_id} {self.kind} {self.region_code} {self.start}–{self.end or ''}"
