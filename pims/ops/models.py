from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyFingerprint(models.Model):
    """What the stored data needs of the keys (pims.ops.keys): the id of each
    field key some value may be encrypted under, and keyed fingerprints of
    the blind-index and audit-chain keys. Never a key."""

    class Purpose(models.TextChoices):
        FIELD_KEY_ID = "field_key_id", _("字段加密密钥编号")
        BLIND_INDEX = "blind_index", _("检索索引密钥指纹")
        AUDIT_CHAIN = "audit_chain", _("审计链密钥指纹")

    purpose = models.CharField(_("用途"), max_length=20, choices=Purpose.choices)
    value = models.CharField(_("编号或指纹"), max_length=64)
    in_use = models.BooleanField(_("数据仍在使用"), default=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purpose", "value"], name="keyfingerprint_once")]
        verbose_name = _("密钥指纹")
        verbose_name_plural = _("密钥指纹")

    def __str__(self):
        return f"{self.purpose} {self.value}"


class ScheduledRun(models.Model):
    """One run of a scheduled job (`manage.py run_job`), shown on the 定时任务 page."""

    job = models.CharField(_("任务"), max_length=40, db_index=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ok = models.BooleanField(_("成功"), null=True)
    summary = models.TextField(_("结果"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("定时任务运行")
        verbose_name_plural = _("定时任务运行")

    def __str__(self):
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"
