"""Reproductive-health service lists (DOMAIN.md §7): who is due, and the
services recorded (date and status only; results are never stored).

    两癌筛查 due          women of the parameter ages with no screening within the interval
    孕前优生 invitation   couples with a 生育登记 not yet born, or married recently; wife of
                          the parameter ages; no exam recorded for this birth order
    婚前医学检查          couples married within the window, neither spouse examined

Health data: every list needs `Cap.VIEW_HEALTH_LISTS` (village clerks do not
hold it: 404), is scoped by the persons' responsible region, and every view
and export writes an audit row (`Action.VIEW_HEALTH`). Each list is one
SQL statement over the register.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import citizen_id, clock
from pims.lib.errors import Invalid, NotPermitted
from pims.params.selectors import param_value
from pims.regions.scope import code_in_scope, scope_q
from pims.registry.models import Birth, Marriage, Person

from .eligibility import _Count
from .models import HealthService, HealthServiceKind

ACTIVE, FEMALE = "1", "2"
LISTS = {
    HealthServiceKind.CANCER_SCREENING: "两癌筛查应检名单",
    HealthServiceKind.PRECONCEPTION: "孕前优生健康检查邀请名单",
    HealthServiceKind.PREMARITAL: "婚前医学检查名单",
}
BAD_FILE = "第 %(line)d 行：%(problem)s"


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def require_view(user) -> None:
    if not has_capability(user, Cap.VIEW_HEALTH_LISTS):
        raise Http404


def _aged(prefix: str, lo: int, hi: int, day: dt.date) -> Q:
    """`prefix`birth_date gives an age in lo…hi (completed years) on `day`."""
    return Q(
        **{
            f"{prefix}birth_date__lte": years_before(day, lo),
            f"{prefix}birth_date__gt": years_before(day, hi + 1),
        }
    )


def cancer_screening_due(user, day: dt.date | None = None) -> QuerySet[Person]:
    require_view(user)
    day = day or clock.today()
    lo = param_value("health.cancer_screening.age.min", day)
    hi = param_value("health.cancer_screening.age.max", day)
    since = years_before(day, param_value("health.cancer_screening.interval_years", day))
    services = HealthService.objects.filter(kind=HealthServiceKind.CANCER_SCREENING, person_id=OuterRef("pk"))
    recent = services.filter(service_date__gt=since, service_date__lte=day)
    return (
        Person.objects.filter(scope_q(user, "responsible_code"), _aged("", lo, hi, day), status=ACTIVE, sex=FEMALE)
        .exclude(Exists(recent))
        .annotate(last_service=Subquery(services.order_by("-service_date").values("service_date")[:1]))
        .order_by("responsible_code", "name", "pk")
    )


def _couples(user, day: dt.date) -> QuerySet[Marriage]:
    return Marriage.objects.filter(
        scope_q(user, "wife__responsible_code"),
        end_date__isnull=True,
        wife__status=ACTIVE,
        husband__status=ACTIVE,
    ).select_related("husband", "wife")


def _examined(kind: str, **extra) -> Exists:
    return Exists(
        HealthService.objects.filter(
            Q(person_id=OuterRef("wife_id")) | Q(person_id=OuterRef("husband_id")), kind=kind, **extra
        )
    )


def preconception_invitations(user, day: dt.date | None = None) -> QuerySet[Marriage]:
    from pims.documents.models import BirthRegistration, RegistrationState

    require_view(user)
    day = day or clock.today()
    lo = param_value("health.preconception.wife_age.min", day)
    hi = param_value("health.preconception.wife_age.max", day)
    recent = day - dt.timedelta(days=param_value("health.preconception.recent_marriage_days", day))
    registered = BirthRegistration.objects.filter(
        wife_id=OuterRef("wife_id"),
        husband_id=OuterRef("husband_id"),
        state=RegistrationState.ISSUED,
        child__isnull=True,
    ).order_by("birth_order")
    births = Birth.objects.filter(mother_id=OuterRef("wife_id")).order_by().annotate(n=_Count()).values("n")[:1]
    couples = _couples(user, day).filter(_aged("wife__", lo, hi, day))
    couples = couples.annotate(
        registration_order=Subquery(registered.values("birth_order")[:1], output_field=IntegerField()),
        next_order=Coalesce(
            Subquery(registered.values("birth_order")[:1], output_field=IntegerField()),
            Coalesce(Subquery(births, output_field=IntegerField()), Value(0)) + 1,
        ),
    )
    return (
        couples.filter(Q(registration_order__isnull=False) | Q(date__gte=recent, date__lte=day))
        .exclude(_examined(HealthServiceKind.PRECONCEPTION, birth_order=OuterRef("next_order")))
        .order_by("wife__responsible_code", "wife__name", "pk")
    )


def premarital_list(user, day: dt.date | None = None) -> QuerySet[Marriage]:
    require_view(user)
    day = day or clock.today()
    since = day - dt.timedelta(days=param_value("health.premarital.window_days", day))
    exam_window = years_before(day, 1)
    return (
        _couples(user, day)
        .filter(date__gte=since, date__lte=day)
        .exclude(_examined(HealthServiceKind.PREMARITAL, service_date__gte=exam_window))
        .annotate(wife_code=F("wife__responsible_code"))
        .order_by("wife__responsible_code", "date", "pk")
    )


def health_list(user, kind: str, day: dt.date | None = None) -> QuerySet:
    if kind == HealthServiceKind.CANCER_SCREENING:
        return cancer_screening_due(user, day)
    if kind == HealthServiceKind.PRECONCEPTION:
        return preconception_invitations(user, day)
    if kind == HealthServiceKind.PREMARITAL:
        return premarital_list(user, day)
    raise Http404


def audit_list_view(user, kind: str, *, rows: int, export: str = "") -> None:
    """Every look at a health list is recorded (who, which list, how many rows)."""
    detail = {"list": kind, "rows": rows}
    if export:
        detail["format"] = export
    audit_record(
        actor=user,
        action=Action.VIEW_HEALTH,
        obj=("programmes.healthlist", kind),
        detail=detail,
        region_code=user.region.code if user.region_id else "",
    )


# --- recording -----------------------------------------------------------------


def _check_person(actor, person: Person) -> None:
    if not has_capability(actor, Cap.RECORD_HEALTH_SERVICE) or not code_in_scope(actor, person.responsible_code):
        raise NotPermitted("record_health_service")


def service_record(
    *,
    actor,
    person: Person,
    kind: str,
    service_date: dt.date,
    status: str = HealthService.Status.DONE,
    birth_order: int | None = None,
    source: str = HealthService.Source.HAND,
) -> HealthService:
    """Record the date and status of a service (never its result)."""
    _check_person(actor, person)
    if kind not in HealthServiceKind.values or status not in HealthService.Status.values:
        raise Invalid("服务项目或状态无效")
    if service_date > clock.today():
        raise Invalid("服务日期不能晚于今天")
    with transaction.atomic():
        service = HealthService.objects.create(
            person=person,
            kind=kind,
            service_date=service_date,
            status=status,
            birth_order=birth_order,
            source=source,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=service,
            region_code=person.responsible_code,
            detail={"kind": kind, "source": source},
        )
    return service


@dataclass
class ImportResult:
    recorded: int
    problems: list[str]


STATUS_WORDS = {label: value for value, label in HealthService.Status.choices} | {
    v: v for v in HealthService.Status.values
}


def services_import(*, actor, kind: str, data: bytes) -> ImportResult:
    """A CSV from the health department (公民身份号码, 服务日期, 状态[, 孩次]):
    persons found by the blind index of the ID within the actor's region (one
    query), every row checked first; nothing is recorded if any row is bad."""
    from pims.registry.personal import citizen_id_index

    if not has_capability(actor, Cap.RECORD_HEALTH_SERVICE) or kind not in HealthServiceKind.values:
        raise NotPermitted("record_health_service")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("文件须为 UTF-8 编码的 CSV") from None
    rows = list(csv.reader(io.StringIO(text)))
    start = 1
    if rows and rows[0] and ("身份" in rows[0][0] or "号码" in rows[0][0]):
        rows, start = rows[1:], 2  # the header line
    parsed, problems = [], []
    for line, row in enumerate(rows, start=start):
        if not any(c.strip() for c in row):
            continue
        try:
            number, date_text, status_text = (c.strip() for c in row[:3])
            order = int(row[3]) if len(row) > 3 and row[3].strip() else None
            day = dt.date.fromisoformat(date_text)
            status = STATUS_WORDS[status_text or "done"]
            index = citizen_id_index(citizen_id.parse(number).number)
        except (ValueError, KeyError, Invalid):
            problems.append(BAD_FILE % {"line": line, "problem": "公民身份号码、日期或状态格式有误"})
            continue
        if day > clock.today():
            problems.append(BAD_FILE % {"line": line, "problem": "服务日期晚于今天"})
            continue
        parsed.append((line, index, day, status, order))
    found = dict(
        Person.objects.filter(scope_q(actor, "responsible_code"), id_index__in=[p[1] for p in parsed]).values_list(
            "id_index", "pk"
        )
    )
    for line, index, *_ in parsed:
        if index not in found:
            problems.append(BAD_FILE % {"line": line, "problem": "本辖区无此公民身份号码"})
    if problems:
        return ImportResult(0, problems)
    now = timezone.now()
    with transaction.atomic():
        HealthService.objects.bulk_create(
            HealthService(
                person_id=found[index],
                kind=kind,
                service_date=day,
                status=status,
                birth_order=order,
                source=HealthService.Source.FILE,
                recorded_at=now,
                recorded_by=actor,
            )
            for _line, index, day, status, order in parsed
        )
        audit_record(
            actor=actor,
            action=Action.LOAD,
            obj=("programmes.healthservice", kind),
            region_code=actor.region.code,
            detail={"kind": kind, "rows": len(parsed)},
        )
    return ImportResult(len(parsed), [])
