"""Bundles between a county instance and the province (issue 19.2).

A county exports the months it has accepted as numbered bundles; the
province imports them in order and answers each with a signed receipt,
which marks the bundle (and its months) uploaded at the county. `Peer`
holds the public keys of the other side; rotation adds a row and retires
none, so older files still verify.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Peer(models.Model):
    """A public key of another instance: the province (at a county) or a county (at the province)."""

    instance_id = models.CharField(_("系统标识"), max_length=64)
    tier = models.CharField(_("层级"), max_length=10, choices=[("county", _("县级")), ("province", _("省级"))])
    county_code = models.CharField(_("县区划代码"), max_length=12, blank=True)
    key_id = models.CharField(_("密钥编号"), max_length=32)
    signing_public = models.CharField(_("签名公钥"), max_length=100)
    recipient = models.CharField(_("加密公钥"), max_length=100)
    added_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["tier", "county_code", "-added_at"]
        constraints = [models.UniqueConstraint(fields=["instance_id", "key_id"], name="bundles_peer_key_once")]
        verbose_name = _("对端公钥")
        verbose_name_plural = _("对端公钥")

    def __str__(self) -> str:
        return f"{self.tier} {self.county_code} {self.key_id}"


class Direction(models.TextChoices):
    OUT = "out", _("上报")
    IN = "in", _("接收")


class BundleState(models.TextChoices):
    EXPORTED = "exported", _("已导出，待省级回执")
    ACKNOWLEDGED = "acknowledged", _("省级已接收")
    APPLIED = "applied", _("已导入")
    WAITING = "waiting", _("等待前序数据包")
    REFUSED = "refused", _("已拒收")


class Bundle(models.Model):
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    county_code = models.CharField(_("县区划代码"), max_length=12)
    source_instance = models.CharField(_("来源系统"), max_length=64)
    sequence = models.PositiveIntegerField(_("序号"))
    state = models.CharField(_("状态"), max_length=12, choices=BundleState.choices)
    file_hash = models.CharField(_("文件摘要"), max_length=64)
    previous_hash = models.CharField(_("前一数据包摘要"), max_length=64, blank=True)
    periods = models.JSONField(_("所含月份"), default=list)
    counts = models.JSONField(_("各表行数"), default=dict)
    file_name = models.CharField(_("文件名"), max_length=200)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"))
    acknowledged_at = models.DateTimeField(_("回执时间"), null=True, blank=True)
    months = models.ManyToManyField("approval.PeriodApproval", related_name="bundles", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "county_code", "sequence"],
                condition=~models.Q(state="refused"),
                name="bundles_one_per_sequence",
            )
        ]
        verbose_name = _("数据包")
        verbose_name_plural = _("数据包")

    def __str__(self) -> str:
        return f"{self.county_code}#{self.sequence} {self.state}"


class Relay(models.Model):
    """At the province: an exchange message (by UUID) that arrived from one
    county and waits to go on to the other party's county in a relay bundle
    (pims.bundles.relay); `bundle` is that bundle once written."""

    message_uuid = models.UUIDField(_("信息标识"))
    version = models.PositiveIntegerField(_("版本"))
    from_county = models.CharField(_("来自县"), max_length=12)
    to_county = models.CharField(_("转往县"), max_length=12, db_index=True)
    arrived_at = models.DateTimeField(_("到达时间"))
    bundle = models.ForeignKey(Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="relays")

    class Meta:
        ordering = ["arrived_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message_uuid", "version", "to_county"], name="bundles_relay_once")
        ]
        verbose_name = _("待转发交换信息")
        verbose_name_plural = _("待转发交换信息")

    def __str__(self) -> str:
        return f"{self.message_uuid} v{self.version} → {self.to_county}"
