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
