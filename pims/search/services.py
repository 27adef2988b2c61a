"""Writes of 信息查询: saved queries and audited exports of search results."""

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pims.accounts.roles import Cap, export_row_limit, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.codes.selectors import code_map
from pims.lib import clock, spreadsheet
from pims.lib.dates import age_on
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry.personal import citizen_id_open, phone_open

from . import errors
from .forms import audit_criteria
from .models import SavedQuery
from .selectors import person_search, region_names

EXPORT_FORMATS = {"csv", "xlsx"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2_000


# --- saved queries -----------------------------------------------------------------


def saved_query_save(*, actor, name: str, criteria: dict) -> SavedQuery:
    """Save (or overwrite, by name) one of the actor's queries. Queries by
    citizen ID are refused: the number — or its blind index, which finds the
    same person — is not kept."""
    if not has_capability(actor, Cap.VIEW_PERSONAL):
        raise NotPermitted(errors.ROLE_CANNOT_SAVE)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Invalid(errors.QUERY_NAME_INVALID)
    if "id_index" in criteria:
        raise Invalid(errors.QUERY_BY_ID_NOT_SAVED)
    try:
        with transaction.atomic():
            saved, _created = SavedQuery.objects.update_or_create(
                owner=actor, name=name, defaults={"criteria": dict(criteria)}
            )
    except IntegrityError:
        raise Conflict(errors.QUERY_NAME_RACE) from None
    return saved


def saved_query_delete(*, actor, saved: SavedQuery) -> None:
    if saved.owner_id != actor.pk:
        raise NotPermitted(errors.NOT_YOUR_QUERY)
    saved.delete()


# --- export -------------------------------------------------------------------------

COLUMNS = [
    gettext_lazy("人员编号"),
    gettext_lazy("姓名"),
    gettext_lazy("性别"),
    gettext_lazy("出生日期"),
    gettext_lazy("年龄"),
    gettext_lazy("公民身份号码"),
    gettext_lazy("联系电话"),
    gettext_lazy("婚姻状况"),
    gettext_lazy("人户状态"),
    gettext_lazy("人员状态"),
    gettext_lazy("户籍地区划代码"),
    gettext_lazy("户籍地"),
    gettext_lazy("户编号"),
]


@dataclass
class Export:
    filename: str
    content_type: str
    rows: int
    masked: bool
    body: Iterator[bytes] | bytes


def _rows(qs, *, masked: bool, today: dt.date) -> Iterator[list]:
    marital = code_map("marital_status")
    sexes = code_map("sex")
    batch = []

    def flush(persons):
        names = region_names(p.registered_code for p in persons)
        for p in persons:
            if masked:
                number, phone = p.id_masked, p.phone_masked
            else:
                number, phone = citizen_id_open(p.id_cipher), phone_open(p.phone_cipher)
            yield [
                p.pk,
                p.name,
                sexes.get(p.sex, p.sex),
                p.birth_date.isoformat(),
                age_on(p.birth_date, today),
                number,
                phone,
                marital.get(p.marital_status, p.marital_status),
                p.get_residence_status_display(),
                p.get_status_display(),
                p.registered_code,
                names.get(p.registered_code, ""),
                p.household.number,
            ]

    for person in qs.select_related("household").iterator(chunk_size=CHUNK):
        batch.append(person)
        if len(batch) >= CHUNK:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def _csv_body(rows: Iterator[list]) -> Iterator[bytes]:
    writer = spreadsheet.csv_writer(_Line())

    def line(row: list) -> bytes:
        return cast(str, writer.writerow(row)).encode()  # what _Line.write handed back

    # The byte-order mark makes Excel open the file as UTF-8.
    yield "\ufeff".encode() + line([str(c) for c in COLUMNS])
    for row in rows:
        yield line(row)


def _xlsx_body(rows: Iterator[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("人员查询结果"))
    ws.append(spreadsheet.xlsx_row(ws, [str(c) for c in COLUMNS]))
    for row in rows:
        ws.append(spreadsheet.xlsx_row(ws, row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def persons_export(*, actor, criteria: dict, fmt: str, full_values: bool = False, ip: str | None = None) -> Export:
    """The search result as CSV (streamed) or Excel, audited with the
    criteria (personal values replaced by ***), the row count and whether
    numbers were masked. Numbers are masked unless the role may unmask and
    the user asked for full values; a result over the role's row limit is
    refused rather than cut, so that a file never silently misses persons."""
    limit = export_row_limit(actor)
    if limit <= 0:
        raise NotPermitted(errors.ROLE_CANNOT_EXPORT)
    if fmt not in EXPORT_FORMATS:
        raise Invalid(errors.EXPORT_FORMAT_INVALID)
    masked = not (full_values and has_capability(actor, Cap.UNMASK_PERSONAL))
    qs = person_search(user=actor, criteria=criteria)
    count = qs.count()
    if count > limit:
        raise Invalid(errors.EXPORT_TOO_MANY, count=count, limit=limit)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=("search.person_search", ""),
            region_code=actor.region.code if actor.region_id else "",
            detail={"criteria": audit_criteria(criteria), "rows": count, "format": fmt, "masked": masked},
            ip=ip,
        )
    today = clock.today()
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
    rows = _rows(qs, masked=masked, today=today)
    if fmt == "csv":
        return Export(f"persons-{stamp}.csv", "text/csv; charset=utf-8", count, masked, _csv_body(rows))
    return Export(f"persons-{stamp}.xlsx", XLSX_TYPE, count, masked, _xlsx_body(rows))
