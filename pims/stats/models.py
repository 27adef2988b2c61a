"""Month close (月结): the closed figures of a county's month.

Closing writes small aggregate tables — one row per village × kind × sex ×
five-year age group for the stock, one per village × kind × reason × other
end of the move for the flows, one per village × kind × household size,
and the cells of the births (report 3), women of childbearing age (4)
and flow events (5) — set-based (INSERT … SELECT), so that a report over a closed month reads
thousands of cells, not millions of spells. A close is never edited: a
reopened month keeps its cells as history (`reopened_at` set, with the
reason), and closing again writes a new close with new cells.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MonthClose(models.Model):
    region = models.ForeignKey("regions.Region", verbose_name=_("县/区"), on_delete=models.PROTECT, related_name="+")
    # The county's 12-digit code, copied for indexed prefix scoping.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    period = models.CharField(_("统计月份"), max_length=7)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("月结时间"))
    spells = models.PositiveIntegerField(_("月末人数（户籍+常住）"), default=0)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(_("撤销月结时间"), null=True, blank=True)
    reopen_reason = models.TextField(_("撤销原因"), blank=True)
    # Closed although these villages had not reported ([{"code", "name"}]):
    # only with the administrator's stated reason, both audited.
    missing_villages = models.JSONField(_("未报送的村"), default=list, blank=True)
    override_reason = models.TextField(_("缺报仍月结的原因"), blank=True)

    class Meta:
        ordering = ["-period", "region_code", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "period"], condition=Q(reopened_at__isnull=True), name="monthclose_one_current"
            )
        ]
        verbose_name = _("月结")
        verbose_name_plural = _("月结")

    def __str__(self):
        return f"close {self.region_code} {self.period}"

    @property
    def is_current(self) -> bool:
        return self.reopened_at is None


class ClosedStock(models.Model):
    """Month-end stock of one village, kind, sex and five-year age group
    (17 = 85 and over), with the counts of report 1 as columns."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="stock_cells")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    sex = models.CharField(max_length=1)
    age_group = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()
    han = models.PositiveIntegerField(default=0)
    agri = models.PositiveIntegerField(default=0)
    nonagri = models.PositiveIntegerField(default=0)
    rs1 = models.PositiveIntegerField(default=0)
    rs2 = models.PositiveIntegerField(default=0)
    rs3 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["close", "kind", "region_code"], name="closedstock_lookup")]

    def __str__(self):
        return f"{self.region_code} {self.kind} {self.sex} {self.age_group}: {self.n}"


class ClosedFlow(models.Model):
    """Spells of one village and kind opened (side "open") or closed (side
    "close") in the month, by reason and the other end of the move."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="flow_cells")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    side = models.CharField(max_length=5)
    open_reason = models.CharField(max_length=10, blank=True)
    origin_code = models.CharField(max_length=12, blank=True)
    close_reason = models.CharField(max_length=10, blank=True)
    destination_code = models.CharField(max_length=12, blank=True)
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["close", "kind", "region_code"], name="closedflow_lookup")]

    def __str__(self):
        return f"{self.region_code} {self.kind} {self.side}: {self.n}"


class ClosedHousehold(models.Model):
    """Households of one village and kind by size (members with a spell of
    that kind at month end; 10 = ten or more) and their members."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="household_cells")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    size = models.PositiveSmallIntegerField()
    households = models.PositiveIntegerField()
    persons = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["close", "kind", "region_code"], name="closedhousehold_lookup")]

    def __str__(self):
        return f"{self.region_code} {self.kind} size {self.size}: {self.households}"


class ClosedBirth(models.Model):
    """Births of the month (birth spells opened in it) of one village and
    kind, by sex, birth order (孩次, null when unknown), the mother's age in
    completed years at the birth (null when unknown) and whether a birth
    medical certificate is recorded — the dimensions of report 3."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="birth_cells")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    sex = models.CharField(max_length=1)
    birth_order = models.PositiveSmallIntegerField(null=True)
    mother_age = models.PositiveSmallIntegerField(null=True)
    certified = models.BooleanField()
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["close", "kind", "region_code"], name="closedbirth_lookup")]

    def __str__(self):
        return f"{self.region_code} {self.kind} births: {self.n}"


class ClosedWoman(models.Model):
    """Women aged 15–49 at month end of one village and kind, by marital
    status and the contraceptive method in use that day ('' for none) —
    the dimensions of report 4."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="woman_cells")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    marital_status = models.CharField(max_length=2, blank=True)
    method = models.CharField(max_length=10, blank=True)
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["close", "kind", "region_code"], name="closedwoman_lookup")]

    def __str__(self):
        return f"{self.region_code} {self.kind} {self.marital_status}/{self.method}: {self.n}"


class ClosedMigrant(models.Model):
    """Flow-in ("in") and flow-out ("out") events approved in the month, by
    the event's region, sex, birth date (ages are taken at the end of the
    report's period, which may be a later month) and the county code (six
    digits) of the origin or destination — the dimensions of report 5.
    Flows are few, so a cell per birth date stays small."""

    close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="migrant_cells")
    side = models.CharField(max_length=3)
    region_code = models.CharField(max_length=12)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True)
    place = models.CharField(max_length=6, blank=True)
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["close", "side", "region_code"], name="closedmigrant_lookup")]

    def __str__(self):
        return f"{self.region_code} flow {self.side}: {self.n}"
