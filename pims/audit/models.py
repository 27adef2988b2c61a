from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账户锁定")
    LOGOUT = "logout", _("退出")
    PASSWORD_CHANGE = "password_change", _("修改密码")
    OTP_SETUP = "otp_setup", _("设置双因素认证")
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    VIEW_UNMASKED = "view_unmasked", _("查看完整个人信息")
    EXPORT = "export", _("导出")
    LOAD = "load", _("导入")
    BACKUP = "backup", _("备份")
    RESTORE = "restore", _("恢复")
    ARCHIVE = "archive", _("归档")
    ACCESS_DENIED = "access_denied", _("拒绝访问")
    # A lookup on the public verification page of a document (pims.documents).
    VERIFY = "verify", _("证件核验")
    # Health data (the reproductive-health service lists): every view is recorded.
    VIEW_HEALTH = "view_health", _("查看健康服务名单")
    # Pregnancy and contraception details on a page or API answer (issue 14.7).
    VIEW_REPRODUCTIVE = "view_reproductive", _("查看生育健康信息")


class AuditEntry(models.Model):
    """Append-only, hash-chained log entry.

    `entry_hash` = SHA-256 over `prev_hash` and the entry's canonical content,
    so changing, removing or reordering any row breaks the chain from there on
    (`manage.py audit_verify`). Entries never hold plaintext personal data:
    objects are named by type and primary key only.
    """

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """Single row holding the chain head; locked while appending so that two
    concurrent writers cannot both link to the same predecessor."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"head #{self.seq}"


class AuditCheckpoint(models.Model):
    """Where the archived part of the chain ends.

    `manage.py audit_archive` writes entries up to and including `seq` to
    `file` (gzip JSON lines, SHA-256 `sha256`) and then deletes them; the
    first remaining entry's `prev_hash` must equal `entry_hash`, which is
    where `audit_verify` starts.
    """

    seq = models.BigIntegerField(_("截止序号"), unique=True)
    first_seq = models.BigIntegerField(_("起始序号"))
    entry_hash = models.CharField(_("末条哈希"), max_length=64)
    entry_count = models.BigIntegerField(_("条数"))
    cutoff = models.DateTimeField(_("截止时间"))
    archived_at = models.DateTimeField(_("归档时间"))
    file = models.CharField(_("归档文件"), max_length=255)
    sha256 = models.CharField(_("文件校验值"), max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计归档点")
        verbose_name_plural = _("审计归档点")

    def __str__(self):
        return f"checkpoint #{self.first_seq}-{self.seq}"
