"""Messages between region nodes (DESIGN.md §7, DOMAIN.md §8).

A message travels between instances (issue 19): it carries a UUID, names
regions by code and the register records it is about by UUID; its integer
keys stay local. Overdue is not a stored state: an open message whose due
date has passed is overdue (selectors), so the clock decides, not a job.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class Kind(models.TextChoices):
    INQUIRY = "inquiry", _("协查")
    NOTICE = "notice", _("通报")
    FEEDBACK = "feedback", _("反馈")
    HANDOVER = "handover", _("交接")


class Topic(models.TextChoices):
    """What a message is about; each kind allows some (rules.KIND_TOPICS)."""

    MOVE_IN = "move_in", _("迁入/流入")
    BIRTH = "birth", _("出生")
    PREGNANCY = "pregnancy", _("怀孕")
    MARRIAGE = "marriage", _("婚姻")
    DEATH = "death", _("死亡")
    REGISTERED_ELSEWHERE = "registered_elsewhere", _("户籍地核实")
    SPLIT_COUPLE = "split_couple", _("夫妻异地")
    OTHER = "other", _("其他")
    DELEGATED = "delegated", _("委托管理")
    MIGRATION = "migration", _("迁移")
    FLOW_IN_FILE = "flow_in_file", _("流入建档")
    UXORILOCAL = "uxorilocal", _("入赘")


class Priority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    NORMAL = "normal", _("普通")


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发出")
    FORWARDED = "forwarded", _("已转递")
    RECEIVED = "received", _("已签收")
    ANSWERED = "answered", _("已反馈")
    REFUSED = "refused", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    # A 交接 whose handover list both sides confirmed.
    CONFIRMED = "confirmed", _("已交接")


class Message(TravellingRecord):
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    topic = models.CharField(_("事由"), max_length=24, choices=Topic.choices)
    priority = models.CharField(_("紧急程度"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    # Region nodes, as 12-digit codes (a receiver may live in another instance later).
    sender_code = models.CharField(_("发送单位"), max_length=12, db_index=True)
    receiver_code = models.CharField(_("接收单位"), max_length=12, db_index=True)
    # The node that forwards it (the seed's rule); equal to a party's own
    # township when no forwarding is needed.
    route_code = models.CharField(_("转递单位"), max_length=12, db_index=True)
    # Whether the route node is a third party that forwards (rules.needs_forwarding).
    forwarding = models.BooleanField(_("需转递"), default=False)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("对象"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_uuid = models.UUIDField(_("对象标识"), null=True, blank=True)
    # Only the fields the kind and topic need (rules.PAYLOAD_FIELDS).
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    text = models.TextField(_("说明"), blank=True)
    reply_to = models.ForeignKey(
        "self", verbose_name=_("所答协查"), null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    # The household whose entry started this 协查 (issue 18.4): it stays
    # pending — it cannot be submitted or approved — until the answer.
    # Local to this instance (bundles.tables.LOCAL).
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("待反馈的户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_inquiries",
    )
    source_event = models.ForeignKey(
        "events.Event", verbose_name=_("来源事件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("反馈期限"), null=True, blank=True, db_index=True)
    refusal_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    forwarded_at = models.DateTimeField(_("转递时间"), null=True, blank=True)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    version = models.PositiveIntegerField(default=1)
    # The version last written into (or read from) a bundle: a message to
    # or from another instance travels again when its version is higher.
    # Local to this instance (bundles.tables.LOCAL).
    travelled_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("交换信息")
        verbose_name_plural = _("交换信息")
        constraints = [
            # The same approved event never notifies the same place twice.
            models.UniqueConstraint(
                fields=["source_event", "receiver_code"],
                condition=Q(kind="notice", source_event__isnull=False),
                name="exchange_one_notice_per_event_and_place",
            ),
            models.CheckConstraint(condition=~Q(sender_code=models.F("receiver_code")), name="exchange_not_to_self"),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="exchange_open_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"

    @property
    def region_code(self) -> str:
        """The code audit rows and scope checks file the message under."""
        return self.sender_code


class Receipt(models.TextChoices):
    """The receiver's answer for one person of a handover list."""

    PENDING = "pending", _("待确认")
    RECEIVED = "received", _("已接收")
    QUERIED = "queried", _("有疑问")
    REFUSED = "refused", _("拒收")


class HandoverList(TravellingRecord):
    """交接清单 of one 交接 (DOMAIN.md §8): made with the draft, confirmed by
    the sending node and then by the receiving node (two signatures). The
    type, units, handlers and due date are the message's."""

    message = models.OneToOneField(
        Message, verbose_name=_("交接"), on_delete=models.PROTECT, related_name="handover_list"
    )
    number = models.CharField(_("清单编号"), max_length=24, unique=True)
    made_on = models.DateField(_("填表日期"))
    sender_confirmed_at = models.DateTimeField(_("移交方确认时间"), null=True, blank=True)
    sender_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    receiver_confirmed_at = models.DateTimeField(_("接收方确认时间"), null=True, blank=True)
    receiver_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        verbose_name = _("交接清单")
        verbose_name_plural = _("交接清单")

    def __str__(self) -> str:
        return self.number

    @property
    def region_code(self) -> str:
        return self.message.sender_code


class HandoverEntry(TravellingRecord):
    """One person of a handover list: the §8 fields as handed over (ID
    masked), the receipt state and, once received, the responsibility moved."""

    handover_list = models.ForeignKey(
        HandoverList, verbose_name=_("交接清单"), on_delete=models.CASCADE, related_name="entries"
    )
    person = models.ForeignKey("registry.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+")
    person_uuid = models.UUIDField(_("人员标识"))
    row = models.PositiveSmallIntegerField(_("序号"), default=1)
    fields = models.JSONField(_("交接内容"), default=dict)
    receipt = models.CharField(_("接收状态"), max_length=10, choices=Receipt.choices, default=Receipt.PENDING)
    reason = models.TextField(_("原因"), blank=True)
    responsible_before = models.CharField(_("原责任区划"), max_length=12, blank=True)
    responsible_after = models.CharField(_("新责任区划"), max_length=12, blank=True)

    class Meta:
        ordering = ["handover_list", "row"]
        verbose_name = _("交接人员")
        verbose_name_plural = _("交接人员")
        constraints = [
            models.UniqueConstraint(fields=["handover_list", "person"], name="exchange_handover_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.handover_list_id}/{self.row}"
