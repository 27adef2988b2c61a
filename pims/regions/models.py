from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    TOWNSHIP = "township", _("乡/镇/街道")
    VILLAGE = "village", _("村/社区")


# Number of significant digits of a 12-digit code at each level: a subtree is
# the set of codes sharing that prefix.
LEVEL_DIGITS: dict[str, int] = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_ORDER: list[str] = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    urban_rural_code = models.CharField(_("城乡分类代码"), max_length=3, blank=True)
    valid_from = models.DateField(_("启用日期"))
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """The code prefix shared by this region and its whole subtree."""
        return self.code[: LEVEL_DIGITS[self.level]]

    @property
    def is_active(self) -> bool:
        return self.valid_to is None


class RegionHistory(models.Model):
    """One row per change the loader made to a region: never a silent overwrite."""

    class Change(models.TextChoices):
        CREATED = "created", _("新增")
        RENAMED = "renamed", _("更名")
        REPARENTED = "reparented", _("变更上级")
        RETIRED = "retired", _("撤销")
        RESTORED = "restored", _("恢复")
        MERGED = "merged", _("合并")
        SPLIT = "split", _("拆分")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="history")
    change = models.CharField(_("变更"), max_length=12, choices=Change.choices)
    old_value = models.CharField(_("原值"), max_length=200, blank=True)
    new_value = models.CharField(_("新值"), max_length=200, blank=True)
    effective = models.DateField(_("生效日期"))
    source = models.CharField(_("来源文件"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["region__code", "recorded_at", "id"]
        verbose_name = _("区划变更记录")
        verbose_name_plural = _("区划变更记录")

    def __str__(self) -> str:
        return f"{self.region_id} {self.change} {self.effective}"
