from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class EventType(models.TextChoices):
    """Codes of the `event_type` code table (pims/codes/data/event_type_defined.csv);
    each one has a handler module in pims.events.handlers."""

    BIRTH = "birth", _("出生")
    DEATH = "death", _("死亡")
    MOVE_IN = "move_in", _("迁入")
    MOVE_OUT = "move_out", _("迁出")
    MOVE_WITHIN = "move_within", _("县内迁移（机械变动）")
    CANCEL = "cancel", _("注销")
    MARRIAGE = "marriage", _("结婚")
    DIVORCE = "divorce", _("离婚")
    REMARRIAGE = "remarriage", _("复婚/再婚")
    PREGNANCY = "pregnancy", _("怀孕")
    PREG_OUTCOME = "preg_outcome", _("妊娠结局")
    CONTRA_START = "contra_start", _("避孕开始")
    CONTRA_CHANGE = "contra_change", _("避孕变更")
    CONTRA_STOP = "contra_stop", _("避孕终止")
    FLOW_IN = "flow_in", _("流入")
    FLOW_OUT = "flow_out", _("流出")
    HH_SPLIT = "hh_split", _("分户")
    HH_MERGE = "hh_merge", _("合户")
    CORRECTION = "correction", _("更正")
    REVERSAL = "reversal", _("撤销")
    BASELINE = "baseline", _("基线采集")


class Event(TravellingRecord):
    """An append-only register event (变动). Every change to the register after
    collection is one of these; the first collection writes a *baseline*.

    There is no update service: an event is filed (pending), then applied
    with its change report (approved) or withdrawn before review. A wrong
    item is corrected by a new `correction` event (which may point at the
    event it corrects through `supersedes`); a wrongly approved event is
    undone by a `reversal` event (撤销) that `supersedes` it.
    `approved_period` (YYYY-MM) is the month the event counts in — the month
    it was approved, not the month it happened (DESIGN.md §3, 统计口径).
    """

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
        WITHDRAWN = "withdrawn", _("已撤回")

    event_type = models.CharField(_("变动类型"), max_length=20, choices=EventType.choices, db_index=True)
    # The subject. A birth's child (and a newcomer of a move in / flow in) is
    # created when the event is applied, and only then set here.
    person = models.ForeignKey("registry.Person", null=True, on_delete=models.PROTECT, related_name="events")
    # The other person concerned: the mother of a birth, the spouse of a
    # marriage or divorce.
    related_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="related_events"
    )
    household = models.ForeignKey("registry.Household", null=True, on_delete=models.PROTECT, related_name="events")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    effective_date = models.DateField(_("发生日期"))
    report_date = models.DateField(_("报告日期"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    review_status = models.CharField(_("审核状态"), max_length=10, choices=Review.choices, default=Review.PENDING)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_period = models.CharField(_("统计月份"), max_length=7, blank=True, db_index=True)
    report = models.ForeignKey(
        "events.ChangeReport", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_date", "id"]
        indexes = [models.Index(fields=["report", "review_status"], name="event_report_status")]
        verbose_name = _("变动事件")
        verbose_name_plural = _("变动事件")

    def __str__(self):
        return f"{self.event_type} {self.effective_date}"

    @property
    def occurrence_period(self) -> str:
        return self.effective_date.strftime("%Y-%m")

    @property
    def is_late(self) -> bool:
        """Reported after its month (补报): it keeps its occurrence date and
        counts in the month it is approved."""
        report = self.report
        return report is not None and self.occurrence_period < report.period
