from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class PersonStatus(models.TextChoices):
    ACTIVE = "1", _("正常")
    DEAD = "2", _("死亡")
    MOVED_OUT = "3", _("迁出")
    CANCELLED = "4", _("注销")


class ResidenceStatus(models.TextChoices):
    CONSISTENT = "1", _("人户一致")
    AWAY = "2", _("人在户不在")
    ABSENT = "3", _("户在人不在")


class Person(TravellingRecord):
    """A person (人) in the register.

    The citizen ID and phone number are stored encrypted (`*_cipher`), found
    by a keyed hash (`*_index`, unique across the register) and listed masked
    (`*_masked`). Sex and birth date read from the ID are kept (`id_sex`,
    `id_birth_date`) so batch checks can compare them with the entered values
    without decrypting.
    """

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("所在户"), on_delete=models.PROTECT, related_name="members"
    )
    row = models.PositiveSmallIntegerField(_("表内行号"), default=1)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("姓名全拼"), max_length=120, blank=True)
    # Searched by prefix only (LIKE 'ly%'): one pattern index (Meta) serves it;
    # county-or-smaller scopes use the composite indexes of migration 0005.
    name_initials = models.CharField(_("姓名首字母"), max_length=20, blank=True)
    id_cipher = models.TextField(_("公民身份号码（密文）"), blank=True)
    id_index = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_masked = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    id_sex = models.CharField(max_length=1, blank=True)
    id_birth_date = models.DateField(null=True, blank=True)
    no_id_reason = models.CharField(_("无身份号码原因"), max_length=2, blank=True)
    sex = models.CharField(_("性别"), max_length=1)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=2)
    education = models.CharField(_("文化程度"), max_length=2, blank=True)
    occupation = models.CharField(_("职业"), max_length=3, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=2)
    relationship = models.CharField(_("与户主关系"), max_length=2)
    hukou_type = models.CharField(_("户口类别"), max_length=2)
    registered_code = models.CharField(_("户籍地区划"), max_length=12, db_index=True)
    residence_code = models.CharField(_("现居住地区划"), max_length=12, db_index=True)
    # Who enters and maintains this person: the registered location, or the
    # wife's for a couple registered in different places (seed rule).
    responsible_code = models.CharField(_("责任区划"), max_length=12, db_index=True)
    # Set by a confirmed handover (交接, pims.exchange): the region that took
    # over management; it then stays responsible whatever the seed rule says.
    handover_code = models.CharField(_("交接接管区划"), max_length=12, blank=True)
    residence_status = models.CharField(
        _("人户状态"), max_length=1, choices=ResidenceStatus.choices, default=ResidenceStatus.CONSISTENT
    )
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(_("人员状态"), max_length=1, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household", "row"]
        indexes = [
            models.Index(fields=["responsible_code", "status"], name="person_scope_status"),
            models.Index(fields=["birth_date"], name="person_birth"),
            models.Index(
                fields=["name_initials"],
                name="person_initials_like",
                opclasses=["varchar_pattern_ops"],
                include=["id", "name_pinyin", "responsible_code", "registered_code", "residence_code"],
            ),
            # Name search (pims.search.selectors): pinyin and initials by
            # prefix, their capped count for a city or province read from the
            # index alone (it includes the other key and the three scope codes); the
            # sorted walk of a capped city/province page, which checks the
            # initials inside the index.
            models.Index(
                fields=["name_pinyin"],
                name="person_pinyin_like",
                opclasses=["varchar_pattern_ops"],
                include=["id", "name_initials", "responsible_code", "registered_code", "residence_code"],
            ),
            models.Index(fields=["name_pinyin", "name_initials"], name="person_pinyin_walk"),
        ]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self):
        return self.name
