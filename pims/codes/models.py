from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CodeTable(models.Model):
    """One table of the code manual (代码手册), e.g. sex (GB/T 2261.1)."""

    key = models.SlugField(_("代码表标识"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    standard = models.CharField(_("依据标准"), max_length=100, blank=True)
    source = models.TextField(_("来源说明"), blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("代码表")
        verbose_name_plural = _("代码表")

    def __str__(self):
        return self.name


class CodeVersion(models.Model):
    """A version of a table; exactly one version per table is current.
    Editing never changes a version in place: it creates the next one."""

    table = models.ForeignKey(CodeTable, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    is_current = models.BooleanField(_("当前版本"), default=False)
    note = models.CharField(_("版本说明"), max_length=300, blank=True)
    source_file = models.CharField(_("来源文件"), max_length=300, blank=True)
    checksum = models.CharField(_("内容校验和"), max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["table__key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["table", "number"], name="codeversion_unique_number"),
            models.UniqueConstraint(fields=["table"], condition=Q(is_current=True), name="codeversion_one_current"),
        ]
        verbose_name = _("代码表版本")
        verbose_name_plural = _("代码表版本")

    def __str__(self):
        return f"{self.table.name} v{self.number}"


class Code(models.Model):
    version = models.ForeignKey(CodeVersion, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("代码"), max_length=20)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    initials = models.CharField(_("拼音首字母"), max_length=40, blank=True, db_index=True)
    extra = models.JSONField(_("附加属性"), default=dict, blank=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="code_unique_in_version")]
        verbose_name = _("代码")
        verbose_name_plural = _("代码")

    def __str__(self):
        return f"{self.code} {self.name}"
