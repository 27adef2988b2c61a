"""Documents of 优质服务 (DESIGN.md §8, DOMAIN.md §2–4).

A document is about register records (a couple, a child) named by foreign key
and, because documents travel between instances, by UUID. Each issued
document holds a number from a per-issuer, per-year sequence without gaps
(`DocumentSequence`; a cancelled number stays used) and an unguessable
verification token — the only thing its QR code carries.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class DocumentKind(models.TextChoices):
    BIRTH_REGISTRATION = "birth_reg", _("生育登记")
    HONOUR_CERTIFICATE = "honour", _("独生子女父母光荣证")


class DocumentSequence(models.Model):
    """The last number used by an issuer for a kind in a year; taken under a
    row lock, so numbers are consecutive and never reused."""

    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    issuer_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "issuer_code", "year"], name="documents_sequence_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.issuer_code} {self.year}: {self.last}"


class RegistrationState(models.TextChoices):
    APPLIED = "applied", _("已受理")
    ISSUED = "issued", _("已登记")
    CANCELLED = "cancelled", _("已注销")


class RegistrationMethod(models.TextChoices):
    ON_SITE = "on_site", _("现场办理")
    DELEGATED = "delegated", _("村（居）代办")
    ONLINE = "online", _("网上申请")


class CancelReason(models.TextChoices):
    ERROR = "error", _("办理错误")
    FRAUD = "fraud", _("弄虚作假")
    OTHER = "other", _("其他")


class BirthRegistration(TravellingRecord):
    """A 生育登记 (DOMAIN.md §2): a couple registers a child, before the
    birth (预产期) or after it (补登, the child in the register). The 登记孩次
    is derived from the register (pims.documents.counting) and the
    derivation kept as shown at the time of registration."""

    state = models.CharField(
        _("状态"), max_length=10, choices=RegistrationState.choices, default=RegistrationState.APPLIED, db_index=True
    )
    husband = models.ForeignKey("registry.Person", verbose_name=_("男方"), on_delete=models.PROTECT, related_name="+")
    wife = models.ForeignKey("registry.Person", verbose_name=_("女方"), on_delete=models.PROTECT, related_name="+")
    marriage = models.ForeignKey(
        "registry.Marriage", verbose_name=_("婚姻"), on_delete=models.PROTECT, related_name="+"
    )
    husband_uuid = models.UUIDField(_("男方标识"))
    wife_uuid = models.UUIDField(_("女方标识"))
    # The spouses' responsible regions at application, and the receiving
    # township (受理地): the scope rule reads these three codes.
    husband_code = models.CharField(max_length=12, db_index=True)
    wife_code = models.CharField(max_length=12, db_index=True)
    issuer_code = models.CharField(_("受理地"), max_length=12, db_index=True)
    birth_order = models.PositiveSmallIntegerField(_("登记孩次"))
    derivation = models.JSONField(_("孩次推算"), default=list)
    due_date = models.DateField(_("预产期"), null=True, blank=True)
    # 补登: the child, already in the register; or the child whose birth was
    # later recorded (pims.documents.services.registration_link_birth).
    child = models.ForeignKey(
        "registry.Person", verbose_name=_("子女"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    child_uuid = models.UUIDField(_("子女标识"), null=True, blank=True)
    late = models.BooleanField(_("补登"), default=False)
    # A birth of the couple the register recorded that did not match this
    # registration (another father, another 孩次): held for the township to
    # link or dismiss, never linked silently (pims.documents.births).
    mismatch_child = models.ForeignKey(
        "registry.Person",
        verbose_name=_("待核对的出生"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mismatch_reason = models.CharField(_("不符原因"), max_length=200, blank=True)
    method = models.CharField(
        _("登记方式"), max_length=10, choices=RegistrationMethod.choices, default=RegistrationMethod.ON_SITE
    )
    # The spouses' fields as printed (DOMAIN.md §2), copied from the register
    # at application: 工作单位 is asked, not in the register.
    particulars = models.JSONField(_("登记内容"), default=dict)
    commitment = models.BooleanField(_("已签署承诺"), default=False)
    number = models.CharField(_("登记编号"), max_length=40, blank=True)
    token = models.CharField(max_length=64, unique=True)
    applied_at = models.DateTimeField(_("受理时间"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.CharField(_("注销原因"), max_length=10, choices=CancelReason.choices, blank=True)
    cancel_note = models.TextField(_("注销说明"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("生育登记")
        verbose_name_plural = _("生育登记")
        constraints = [
            # One live registration per couple and child (孩次); a cancelled one frees it.
            models.UniqueConstraint(
                fields=["husband", "wife", "birth_order"],
                condition=~Q(state="cancelled"),
                name="documents_one_registration_per_child",
            ),
            models.UniqueConstraint(
                fields=["issuer_code", "number"], condition=~Q(number=""), name="documents_registration_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"生育登记 {self.uuid}"

    @property
    def region_code(self) -> str:
        """The code audit rows file the registration under."""
        return self.issuer_code


class HonourState(models.TextChoices):
    APPLIED = "applied", _("村级已受理")
    TOWNSHIP_REVIEWED = "township_reviewed", _("乡镇已审核")
    ISSUED = "issued", _("县级已批准发证")
    REJECTED = "rejected", _("未通过")
    REVOKED = "revoked", _("已撤销")


class RevokeReason(models.TextChoices):
    CONCEALED_CHILD = "concealed_child", _("隐瞒已生育第二个子女")
    LATER_CHILD = "later_child", _("此后再生育子女")
    ADOPTED_CHILD = "adopted_child", _("此后收养子女")
    FRAUD = "fraud", _("弄虚作假骗取")


class HonourCertificate(TravellingRecord):
    """A 独生子女父母光荣证 (DOMAIN.md §4): still issued for a child of the
    one-child era. The path is village → township → county, each step with
    its approver, date and comment; the eligibility per condition is kept as
    judged at application (pims.documents.honour)."""

    state = models.CharField(
        _("状态"), max_length=20, choices=HonourState.choices, default=HonourState.APPLIED, db_index=True
    )
    husband = models.ForeignKey("registry.Person", verbose_name=_("父亲"), on_delete=models.PROTECT, related_name="+")
    wife = models.ForeignKey("registry.Person", verbose_name=_("母亲"), on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("registry.Person", verbose_name=_("独生子女"), on_delete=models.PROTECT, related_name="+")
    marriage = models.ForeignKey("registry.Marriage", on_delete=models.PROTECT, related_name="+")
    husband_uuid = models.UUIDField()
    wife_uuid = models.UUIDField()
    child_uuid = models.UUIDField()
    # The applying village (scope), the township over it and the county that issues.
    region_code = models.CharField(_("申请村"), max_length=12, db_index=True)
    township_code = models.CharField(max_length=12, db_index=True)
    issuer_code = models.CharField(_("发证单位"), max_length=12, db_index=True)
    eligibility = models.JSONField(_("资格审查"), default=list)
    particulars = models.JSONField(_("证件内容"), default=dict)
    commitment = models.BooleanField(_("已签署承诺"), default=False)
    reward_from = models.DateField(_("奖励费起始"), null=True, blank=True)
    reward_to = models.DateField(_("奖励费截止"), null=True, blank=True)
    number = models.CharField(_("证号"), max_length=40, blank=True)
    token = models.CharField(max_length=64, unique=True)
    applied_at = models.DateTimeField(_("申请时间"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    village_comment = models.TextField(_("村级意见"), blank=True)
    township_at = models.DateTimeField(_("乡镇审核时间"), null=True, blank=True)
    township_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    township_comment = models.TextField(_("乡镇意见"), blank=True)
    county_at = models.DateTimeField(_("县级审批时间"), null=True, blank=True)
    county_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    county_comment = models.TextField(_("县级意见"), blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    revoke_reason = models.CharField(_("撤销原因"), max_length=20, choices=RevokeReason.choices, blank=True)
    revoke_note = models.TextField(_("撤销说明"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("独生子女父母光荣证")
        verbose_name_plural = _("独生子女父母光荣证")
        constraints = [
            # Never two live certificates for one couple and child (a rejected or revoked one frees it).
            models.UniqueConstraint(
                fields=["husband", "wife", "child"],
                condition=~Q(state__in=["rejected", "revoked"]),
                name="documents_one_honour_per_child",
            ),
            models.UniqueConstraint(
                fields=["issuer_code", "number"], condition=~Q(number=""), name="documents_honour_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"光荣证 {self.uuid}"


class HistoricKind(models.TextChoices):
    SERVICE_CERT = "service_cert", _("生育服务证")
    REBIRTH_CERT = "rebirth_cert", _("再生育证")
    MIGRANT_CERT = "migrant_cert", _("流动人口婚育证明")
    SOCIAL_FEE = "social_fee", _("社会抚养费")
    OLD_HONOUR = "old_honour", _("独生子女父母光荣证（历史）")


class HistoricDocument(TravellingRecord):
    """A family-planning document of an earlier era (DOMAIN.md §3), held
    read-only because old rights depend on it: imported, never issued. Its
    政策属性 matters only for the historic 奖扶/特扶 conditions; no current
    service may depend on it (the 2021 decision)."""

    kind = models.CharField(_("证件类型"), max_length=14, choices=HistoricKind.choices)
    number = models.CharField(_("证号"), max_length=40)
    holder = models.ForeignKey("registry.Person", verbose_name=_("持证人"), on_delete=models.PROTECT, related_name="+")
    holder_uuid = models.UUIDField()
    region_code = models.CharField(max_length=12, db_index=True)
    issuer = models.CharField(_("发证单位"), max_length=100)
    issue_date = models.DateField(_("发证日期"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, blank=True)
    birth_order = models.PositiveSmallIntegerField(_("孩次"), null=True, blank=True)
    policy = models.CharField(_("政策属性"), max_length=6, blank=True)
    parentage = models.CharField(_("亲生关系"), max_length=8, blank=True)
    note = models.TextField(_("备注"), blank=True)
    source = models.CharField(_("来源文件"), max_length=200)
    source_line = models.PositiveIntegerField(_("原行号"))
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["holder", "issue_date", "id"]
        verbose_name = _("历史证件")
        verbose_name_plural = _("历史证件")
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="documents_historic_number")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class HistoricImport(models.Model):
    """One upload of historic documents, imported on the task queue (kind
    `historic_import`, pims.documents.tasks). The rows are judged and loaded
    in chunks; each chunk commits its documents, its rejected rows and
    `rows_done` together, so a stopped or killed worker's successor resumes
    where the last chunk ended. Stays in the county: the file and the
    rejected rows hold plaintext ID numbers (removed after the retention
    period, like the police import's)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队等待")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    file_name = models.CharField(_("文件名"), max_length=200)
    file_path = models.CharField(_("文件位置"), max_length=500, blank=True)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    message = models.TextField(_("说明"), blank=True)
    header = models.JSONField(_("表头"), default=list)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    accepted = models.PositiveIntegerField(_("导入条数"), default=0)
    # [line, cells, reasons] per rejected row: the page's table and the
    # rejected-rows file; emptied with the file after the retention period.
    rejected = models.JSONField(_("拒绝行"), default=list)
    rejected_count = models.PositiveIntegerField(_("拒绝条数"), default=0)
    rejected_file = models.CharField(_("退回文件"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("历史证件导入")
        verbose_name_plural = _("历史证件导入")

    def __str__(self) -> str:
        return f"historic import {self.pk} {self.file_name} ({self.state})"

    @property
    def percent(self) -> float:
        if self.state == self.State.DONE:
            return 100.0
        return round(100 * self.rows_done / self.rows_total, 1) if self.rows_total else 0.0
