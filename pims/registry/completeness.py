"""Completeness (村不漏户、户不漏人、人不漏项、项不出错), measured per village.

- 村不漏户: households collected against the head-count baseline (摸底);
- 户不漏人: persons per household, and persons against the baseline;
- 人不漏项: share of persons with every required item filled;
- 项不出错: share of persons with no error in the latest finished batch
  logic check (`CheckRun`) covering the village.

The report is set-based: one query for the villages (with their latest
baseline), one GROUP BY for households, one for persons, one for the check
runs and one GROUP BY over their hits — whatever the number of villages.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.dates import years_before
from pims.lib.errors import Invalid, NotPermitted
from pims.regions.models import LEVEL_DIGITS, LEVEL_ORDER, Level, Region
from pims.regions.scope import code_in_scope, scope_q

from . import errors
from .checks import Severity
from .models import CheckHit, CheckRun, Household, Person, PersonStatus
from .models.sampling import VillageBaseline

EDUCATION_FROM_AGE = 6
# Required items (人不漏项) beyond the ID rule and the age-dependent education.
REQUIRED_TEXT_ITEMS = ("name", "sex", "ethnicity", "relationship", "marital_status", "hukou_type")
MAX_BASELINE = 1_000_000


class BaselineError(Invalid):
    """A head-count baseline that cannot be accepted (message for the user)."""


def can_enter_baseline(user) -> bool:
    """County administrators and township operators/reviewers (not clerks)."""
    return has_capability(user, Cap.ENTER_BASELINE)


def can_view_completeness(user) -> bool:
    return has_capability(user, Cap.VIEW_REPORTS)


def village_baseline_set(*, actor, village: Region, expected_households: int, expected_persons: int) -> VillageBaseline:
    """Record the village's head-count baseline; the newest entry counts, the
    earlier ones stay as history."""
    if not can_enter_baseline(actor) or not code_in_scope(actor, village.code):
        raise NotPermitted(errors.BASELINE_NOT_YOURS)
    if village.level != Level.VILLAGE:
        raise BaselineError(errors.BASELINE_NOT_VILLAGE)
    for value in (expected_households, expected_persons):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BASELINE:
            raise BaselineError(errors.BASELINE_OUT_OF_RANGE)
    if expected_persons < expected_households:
        raise BaselineError(errors.BASELINE_PERSONS_BELOW_HOUSEHOLDS)
    with transaction.atomic():
        baseline = VillageBaseline.objects.create(
            village=village,
            region_code=village.code,
            expected_households=expected_households,
            expected_persons=expected_persons,
            entered_by=actor,
            entered_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=baseline,
            region_code=village.code,
            detail={"expected_households": expected_households, "expected_persons": expected_persons},
        )
    return baseline


def latest_baseline(village: Region) -> VillageBaseline | None:
    return VillageBaseline.objects.filter(village=village).order_by("-entered_at", "-id").first()


# --- the report --------------------------------------------------------------


def _ratio(n, d) -> float | None:
    return n / d if d else None


@dataclass
class VillageFigures:
    village: Region | None  # None for the totals row
    expected_households: int | None = None
    expected_persons: int | None = None
    households: int = 0
    persons: int = 0
    persons_complete: int = 0
    # From the latest check run covering the village (None: never checked).
    run: CheckRun | None = None
    persons_with_errors: int | None = None
    households_with_errors: int | None = None
    # Denominators for the totals row: collected figures of the villages
    # that have a baseline / were checked.
    households_in_baseline: int = 0
    persons_in_baseline: int = 0
    persons_checked: int = 0

    @property
    def households_vs_baseline(self) -> float | None:
        return _ratio(self.households_in_baseline, self.expected_households)

    @property
    def persons_vs_baseline(self) -> float | None:
        return _ratio(self.persons_in_baseline, self.expected_persons)

    @property
    def persons_per_household(self) -> float | None:
        return _ratio(self.persons, self.households)

    @property
    def expected_persons_per_household(self) -> float | None:
        return _ratio(self.expected_persons, self.expected_households)

    @property
    def complete_share(self) -> float | None:
        return _ratio(self.persons_complete, self.persons)

    @property
    def correct_share(self) -> float | None:
        if self.persons_with_errors is None:
            return None
        # A person found wrong may have left since the run: never below zero.
        return _ratio(max(self.persons_checked - self.persons_with_errors, 0), self.persons_checked)


@dataclass
class CompletenessReport:
    region: Region
    villages: list[VillageFigures] = field(default_factory=list)
    total: VillageFigures = field(default_factory=lambda: VillageFigures(village=None))


def complete_person_q(today: dt.date) -> Q:
    """人不漏项: every required item filled; education only from age 6."""
    q = Q()
    for f in REQUIRED_TEXT_ITEMS:
        q &= ~Q(**{f: ""})
    q &= Q(birth_date__isnull=False)
    q &= ~Q(id_cipher="") | ~Q(no_id_reason="")
    q &= ~Q(education="") | Q(birth_date__gt=years_before(today, EDUCATION_FROM_AGE))
    return q


def _ancestor_codes(region: Region) -> list[str]:
    """12-digit codes of the region and every level above it (derived from
    the nested code, no query)."""
    levels = LEVEL_ORDER[: LEVEL_ORDER.index(region.level) + 1]
    return [region.code[: LEVEL_DIGITS[lv]].ljust(12, "0") for lv in levels]


def _latest_runs(region: Region, village_codes: list[str]) -> dict[str, CheckRun]:
    """{village code: latest finished run whose region contains the village}."""
    runs = (
        CheckRun.objects.filter(state=CheckRun.State.DONE)
        .filter(Q(region_code__startswith=region.prefix) | Q(region_code__in=_ancestor_codes(region)))
        .select_related("region")
        .order_by("-finished_at", "-id")
    )
    out: dict[str, CheckRun] = {}
    for run in runs:
        prefix = run.region.prefix
        for code in village_codes:
            if code not in out and code.startswith(prefix):
                out[code] = run
    return out


def completeness_by_village(*, user, region: Region, today: dt.date | None = None) -> CompletenessReport:
    """Figures per active village under `region` (which the caller has
    access-checked), restricted to the user's jurisdiction."""
    today = today or clock.today()
    report = CompletenessReport(region=region)
    if not can_view_completeness(user):
        return report
    latest = VillageBaseline.objects.filter(village=OuterRef("pk")).order_by("-entered_at", "-id")
    villages = list(
        Region.objects.filter(
            scope_q(user, "code"), code__startswith=region.prefix, level=Level.VILLAGE, valid_to__isnull=True
        )
        .annotate(
            exp_hh=Subquery(latest.values("expected_households")[:1]),
            exp_p=Subquery(latest.values("expected_persons")[:1]),
        )
        .order_by("code")
    )
    if not villages:
        return report
    codes = [v.code for v in villages]
    households = dict(
        Household.objects.filter(region_code__startswith=region.prefix, status=Household.Status.ACTIVE)
        .values_list("region_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    persons = {
        r["household__region_code"]: r
        for r in Person.objects.filter(
            household__region_code__startswith=region.prefix,
            household__status=Household.Status.ACTIVE,
            status=PersonStatus.ACTIVE,
        )
        .values("household__region_code")
        .annotate(n=Count("pk"), complete=Count("pk", filter=complete_person_q(today)))
        .order_by()
    }
    runs = _latest_runs(region, codes)
    errors = {}
    if runs:
        rows = (
            CheckHit.objects.filter(
                run_id__in={r.pk for r in runs.values()},
                village_code__in=codes,
                severity=str(Severity.ERROR),
            )
            .values("run_id", "village_code")
            .annotate(
                persons=Count("person_id", distinct=True, filter=Q(person__status=PersonStatus.ACTIVE)),
                households=Count("household_id", distinct=True),
            )
            .order_by()
        )
        errors = {(r["run_id"], r["village_code"]): r for r in rows}

    total = report.total
    total.expected_households = total.expected_persons = None
    for v in villages:
        p = persons.get(v.code, {})
        fig = VillageFigures(
            village=v,
            expected_households=v.exp_hh,
            expected_persons=v.exp_p,
            households=households.get(v.code, 0),
            persons=p.get("n", 0),
            persons_complete=p.get("complete", 0),
        )
        if v.exp_hh is not None:
            fig.households_in_baseline, fig.persons_in_baseline = fig.households, fig.persons
            total.expected_households = (total.expected_households or 0) + v.exp_hh
            total.expected_persons = (total.expected_persons or 0) + v.exp_p
        run = runs.get(v.code)
        if run is not None:
            e = errors.get((run.pk, v.code), {})
            fig.run = run
            fig.persons_with_errors = e.get("persons", 0)
            fig.households_with_errors = e.get("households", 0)
            fig.persons_checked = fig.persons
            total.persons_with_errors = (total.persons_with_errors or 0) + fig.persons_with_errors
            total.households_with_errors = (total.households_with_errors or 0) + fig.households_with_errors
        for name in (
            "households",
            "persons",
            "persons_complete",
            "households_in_baseline",
            "persons_in_baseline",
            "persons_checked",
        ):
            setattr(total, name, getattr(total, name) + getattr(fig, name))
        report.villages.append(fig)
    return report
