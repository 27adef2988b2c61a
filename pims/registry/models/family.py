from django.db import models
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord


class Marriage(TravellingRecord):
    class Kind(models.TextChoices):
        FIRST = "first", _("初婚")
        REMARRIAGE = "remarriage", _("再婚")

    husband = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="marriages_as_husband")
    wife = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="marriages_as_wife")
    date = models.DateField(_("结婚日期"), null=True, blank=True)
    kind = models.CharField(_("婚次"), max_length=10, choices=Kind.choices, default=Kind.FIRST)
    end_date = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("婚姻")
        verbose_name_plural = _("婚姻")

    def __str__(self):
        return f"{self.husband_id}+{self.wife_id}"


class Birth(TravellingRecord):
    child = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="birth")
    mother = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="births_as_mother"
    )
    father = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="births_as_father"
    )
    birth_order = models.PositiveSmallIntegerField(_("孩次"), null=True, blank=True)
    certificate_no = models.CharField(_("出生医学证明编号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("出生")
        verbose_name_plural = _("出生")

    def __str__(self):
        return f"birth of {self.child_id}"


class Pregnancy(TravellingRecord):
    woman = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="pregnancies")
    start_date = models.DateField(_("怀孕日期"))
    # Whether the pregnancy has ended: all the register's logic needs. How and
    # when it ended are sensitive health data (PIPL), stored only encrypted
    # through pims.registry.personal (issue 14.7).
    ended = models.BooleanField(_("已结束"), default=False)
    outcome_cipher = models.TextField(_("妊娠结局（加密）"), blank=True, default="")
    outcome_date_cipher = models.TextField(_("结局日期（加密）"), blank=True, default="")

    class Meta:
        verbose_name = _("怀孕")
        verbose_name_plural = _("怀孕")

    def __str__(self):
        return f"pregnancy {self.woman_id} {self.start_date}"


class Contraception(TravellingRecord):
    woman = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="contraceptions")
    method = models.CharField(_("节育措施"), max_length=2)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("避孕节育")
        verbose_name_plural = _("避孕节育")

    def __str__(self):
        return f"contraception {self.woman_id} {self.method}"
