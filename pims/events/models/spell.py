from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pims.lib.identity import TravellingRecord

from .event import Event


class Spell(TravellingRecord):
    """A person's presence in a region over [start, end), of one kind.

    Besides the occurrence dates, a spell carries how and in which approval
    month (YYYY-MM) it was opened and closed, so that period flows and
    month-end stocks are plain set-based counts over this one table:

    - `open_reason`: baseline / birth / move (a move in from `origin_code`,
      blank when from outside the register);
    - `close_reason`: death / move (to `destination_code`, blank when out of
      the register) / cancel (户口注销).

    The spell also carries copies of its person's current sex, birth date,
    ethnicity, hukou type and residence status (人户状况): the population
    statistics then read one table instead of joining a million spells to a
    million persons. They are never edited on their own: they are written
    with the spell and refreshed, set-based, by
    `pims.events.spell_attrs.spell_person_attrs_sync` wherever a service
    changes a person who has spells (the events flush, the baseline, the
    bulk imports); `selectors.spell_violations` reports any drift.

    A move inside the register closes one spell and opens the next in the
    same event, the closed one naming the destination and the opened one the
    origin; at any region level such a pair is either a move in and a move
    out, or (both ends inside) nothing at all.

    A correction of a region (更正户籍地/居住地) and a reversal (撤销) work the
    same way with their own reasons: the wrong spell is closed with no length
    (end = start) and its replacement opened from the same start, so the
    register as known now says "there all along" while the months already
    approved keep their stock; the difference counts as 更正增减 in the month
    the correction or reversal is approved (docs/events.md).
    """

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("户籍")
        RESIDENT = "resident", _("常住")

    class Opened(models.TextChoices):
        BASELINE = "baseline", _("基线")
        BIRTH = "birth", _("出生")
        MOVE = "move", _("迁入/流入")
        CORRECTION = "correction", _("更正")
        REVERSAL = "reversal", _("撤销恢复")

    class Closed(models.TextChoices):
        DEATH = "death", _("死亡")
        MOVE = "move", _("迁出/流出")
        CANCEL = "cancel", _("注销")
        CORRECTION = "correction", _("更正")
        REVERSAL = "reversal", _("撤销")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="spells")
    household = models.ForeignKey("registry.Household", null=True, on_delete=models.PROTECT, related_name="spells")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    region_code = models.CharField(_("区划代码"), max_length=12)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    opened_by = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="opened_spells")
    closed_by = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="closed_spells")
    open_reason = models.CharField(_("开始原因"), max_length=10, choices=Opened.choices, default=Opened.BASELINE)
    close_reason = models.CharField(_("结束原因"), max_length=10, choices=Closed.choices, blank=True)
    open_period = models.CharField(_("开始统计月份"), max_length=7, blank=True)
    close_period = models.CharField(_("结束统计月份"), max_length=7, blank=True)
    origin_code = models.CharField(_("迁出地区划"), max_length=12, blank=True)
    destination_code = models.CharField(_("迁往地区划"), max_length=12, blank=True)
    # Copies of the person's current values (see the class docstring).
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True)
    hukou_type = models.CharField(_("户口类别"), max_length=2, blank=True)
    residence_status = models.CharField(_("人户状态"), max_length=1, blank=True)

    class Meta:
        constraints = [
            # At most one open spell of each kind per person.
            models.UniqueConstraint(fields=["person", "kind"], condition=Q(end__isnull=True), name="spell_one_open"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="spell_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["region_code", "kind", "start"], name="spell_region_kind_start"),
            models.Index(fields=["kind", "open_period", "region_code"], name="spell_opened_in_period"),
            models.Index(fields=["kind", "close_period", "region_code"], name="spell_closed_in_period"),
            # Households by size (report 1, month close): an index-only scan in
            # household order, grouped without hashing a million rows.
            models.Index(
                fields=["kind", "household", "region_code", "open_period", "close_period"], name="spell_household_stock"
            ),
        ]
        verbose_name = _("人口时段")
        verbose_name_plural = _("人口时段")

    def __str__(self):
        return f"{self.person_id} {self.kind} {self.region_code} {self.start}–{self.end or ''}"
