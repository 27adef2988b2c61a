"""Programme facts: what the eligibility rules need that the register does
not hold (DOMAIN.md §5–6).

A fact is recorded by a clerk from a document the family shows (or
imported from the historic documents): the hukou type recorded for a past
period, a 界定为农村居民 decision, a child's 政策属性, a disability
certificate. Append-only: a fact that stops applying gets `valid_to`, a
wrong one is withdrawn (`withdrawn_at`), never edited."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class Programme(models.TextChoices):
    JIANGFU = "jiangfu", _("农村部分计划生育家庭奖励扶助")
    TEFU = "tefu", _("计划生育家庭特别扶助")


class FactKind(models.TextChoices):
    HUKOU = "hukou", _("历史户口性质")  # value: hukou type code in force valid_from…valid_to
    RURAL = "rural", _("界定为农村居民")
    POLICY = "policy", _("子女政策属性")  # value: in / out
    DISABILITY = "disability", _("残疾证")  # value: grade 1–4; number: certificate number


class Policy(models.TextChoices):
    IN = "in", _("政策内")
    OUT = "out", _("政策外")


class PersonFact(TravellingRecord):
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="programme_facts"
    )
    kind = models.CharField(_("类别"), max_length=12, choices=FactKind.choices)
    value = models.CharField(_("取值"), max_length=20, blank=True)
    number = models.CharField(_("证件编号"), max_length=40, blank=True)
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    source = models.CharField(_("依据"), max_length=200)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.PROTECT
    )
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "kind"], name="programme_fact_person_kind")]
        verbose_name = _("扶助资格依据")
        verbose_name_plural = _("扶助资格依据")

    def __str__(self):
        return f"{self.kind}:{self.value} ({self.person_id})"


class Cycle(TravellingRecord):
    """One programme's annual cycle in one county (确认年度)."""

    class State(models.TextChoices):
        OPEN = "open", _("进行中")
        CONFIRMED = "confirmed", _("县级已确认")

    programme = models.CharField(_("项目"), max_length=10, choices=Programme.choices)
    year = models.PositiveSmallIntegerField(_("确认年度"))
    county_code = models.CharField(_("县级区划"), max_length=12)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("开始时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("开始人")
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("确认意见"), blank=True)

    class Meta:
        ordering = ["-year", "programme"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "year", "county_code"], name="programme_cycle_unique")
        ]
        verbose_name = _("扶助年度")
        verbose_name_plural = _("扶助年度")

    def __str__(self):
        return f"{self.get_programme_display()} {self.year}"


class Stage(models.TextChoices):
    CANDIDATE = "candidate", _("待村级评议")
    VILLAGE = "village", _("村级评议通过")
    NOTICE = "notice", _("公示中")
    TOWNSHIP = "township", _("乡镇初审通过")
    CONFIRMED = "confirmed", _("县级确认")
    REJECTED = "rejected", _("不予通过")


class Change(models.TextChoices):
    NEW = "new", _("新增")
    CONTINUED = "continued", _("继续")


class Entry(TravellingRecord):
    """One person in one cycle: from candidate to confirmed (or rejected).

    `verdicts` keeps the reasons of the run that found the person; once the
    county confirms, the entry is locked — a later change (a stop) is a new
    `Stop` row, never an edit."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="entries")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="programme_entries")
    village_code = models.CharField(_("村级区划"), max_length=12, db_index=True)
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices, default=Stage.CANDIDATE)
    outcome = models.CharField(_("资格判定"), max_length=10)  # pass / missing at the run
    verdicts = models.JSONField(_("判定理由"), default=list)
    change = models.CharField(_("变动"), max_length=10, choices=Change.choices, default=Change.NEW)
    tefu_kind = models.CharField(_("扶助类别"), max_length=12, blank=True)  # death / disability
    comment = models.TextField(_("最近意见"), blank=True)
    locked = models.BooleanField(_("已锁定"), default=False)

    class Meta:
        ordering = ["village_code", "person_id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "person"], name="programme_entry_unique")]
        indexes = [models.Index(fields=["cycle", "stage"], name="programme_entry_stage")]
        verbose_name = _("扶助对象")
        verbose_name_plural = _("扶助对象")

    def __str__(self):
        return f"{self.cycle} {self.person_id} {self.stage}"


class Step(models.Model):
    """Who moved an entry from one stage to the next, when, and why."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="steps")
    from_stage = models.CharField(max_length=10, choices=Stage.choices)
    to_stage = models.CharField(max_length=10, choices=Stage.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["entry", "pk"]

    def __str__(self):
        return f"{self.entry_id}: {self.from_stage} → {self.to_stage}"


class Notice(models.Model):
    """A village's 公示: published on a day, ending after the notice period."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="notices")
    village_code = models.CharField(max_length=12)
    published_on = models.DateField(_("公示日期"))
    ends_on = models.DateField(_("公示截止"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "village_code"], name="programme_notice_unique")]

    def __str__(self):
        return f"{self.village_code} {self.published_on}–{self.ends_on}"


class Roster(TravellingRecord):
    """A 名册 (payee list) of a confirmed cycle; the n-th of the year."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="rosters")
    number = models.PositiveSmallIntegerField(_("批次"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["cycle", "number"]
        constraints = [models.UniqueConstraint(fields=["cycle", "number"], name="programme_roster_unique")]


class RosterLine(models.Model):
    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="lines")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="roster_lines")
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["roster", "entry__village_code", "entry_id"]
        constraints = [models.UniqueConstraint(fields=["roster", "entry"], name="programme_roster_line_unique")]

    def __str__(self):
        return f"{self.roster_id}/{self.entry_id} {self.amount}"


class StopReason(models.TextChoices):
    DEATH = "death", _("死亡")
    MOVED = "moved", _("迁出")
    EXIT = "exit", _("不再符合条件")


class Stop(models.Model):
    """Payment of a confirmed entry stops (death, move away, an exit
    condition); the next 名册 leaves the entry out. Found by the county's
    queue (selectors.stops_pending) and recorded by the county."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="stop")
    reason = models.CharField(_("停发原因"), max_length=10, choices=StopReason.choices)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"stop {self.entry_id} {self.reason}"


class HealthServiceKind(models.TextChoices):
    CANCER_SCREENING = "cancer_screening", _("两癌筛查")
    PRECONCEPTION = "preconception", _("孕前优生健康检查")
    PREMARITAL = "premarital", _("婚前医学检查")


class HealthService(TravellingRecord):
    """A reproductive-health service a person received (or declined): the
    date and status only — results are never stored (DOMAIN.md §7)."""

    class Status(models.TextChoices):
        DONE = "done", _("已检查")
        DECLINED = "declined", _("本人拒绝")
        ELSEWHERE = "elsewhere", _("外地已检查")

    class Source(models.TextChoices):
        HAND = "hand", _("手工登记")
        FILE = "file", _("文件导入")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="health_services")
    kind = models.CharField(_("服务项目"), max_length=20, choices=HealthServiceKind.choices)
    service_date = models.DateField(_("服务日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DONE)
    birth_order = models.PositiveSmallIntegerField(_("孩次"), null=True, blank=True)  # 孕前检查: for which child
    source = models.CharField(_("登记方式"), max_length=6, choices=Source.choices, default=Source.HAND)
    recorded_at = models.DateTimeField(_("登记时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["person", "kind", "service_date"], name="health_service_person")]
        verbose_name = _("生殖健康服务")
        verbose_name_plural = _("生殖健康服务")

    def __str__(self):
        return f"{self.kind} {self.person_id} {self.service_date}"
