"""Reads of the stats app: a report run, the records behind a figure and
the indicators — for a region the user may see (`access_region`, 404
otherwise), grouped by its children."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.regions.scope import user_prefix
from pims.regions.selectors import access_region
from pims.registry.selectors import person_list_visible_to

from .frame import Frame, Params, report_session
from .reports import get_report
from .reports.base import ReportDef
from .tables import Result


def can_view_reports(user) -> bool:
    return has_capability(user, Cap.VIEW_REPORTS) and user_prefix(user) is not None


def can_drill(user) -> bool:
    return can_view_reports(user) and has_capability(user, Cap.VIEW_PERSONAL)


def can_export(user) -> bool:
    return can_view_reports(user) and has_capability(user, Cap.EXPORT)


def report_frame(*, user, key: str, code: str, params: Params) -> tuple[ReportDef, Frame]:
    """The report and its frame; 404 for an unknown report, a user without
    the role, or a region outside the user's jurisdiction alike."""
    report = get_report(key)
    if report is None or not can_view_reports(user):
        raise Http404
    region = access_region(user, code)
    return report, Frame.build(user, region, params)


def report_run(*, user, key: str, code: str, params: Params) -> Result:
    report, frame = report_frame(user=user, key=key, code=code, params=params)
    with report_session():
        return report.run(frame)


def drill_records(*, user, key: str, code: str, params: Params, measure: str, row: str = "") -> tuple[QuerySet, Frame]:
    """The records (spells, events or households) behind one figure: the
    measure's base set and filter, narrowed to the row's code prefix; each
    person annotated with `visible` (whether the user may open the person's
    page). 404 for anything the user may not see."""
    if not can_drill(user):
        raise Http404
    report, frame = report_frame(user=user, key=key, code=code, params=params)
    if row and not (row.startswith(frame.prefix) and len(row) == frame.n and row.isdigit()):
        raise Http404
    qs = report.drill(frame, measure)
    if qs is None:
        raise Http404
    if row:
        qs = qs.filter(region_code__startswith=row)
    model = qs.model._meta.label_lower
    if model in ("events.spell", "events.event"):
        visible = person_list_visible_to(user=user).filter(pk=OuterRef("person_id"))
        qs = qs.annotate(visible=Exists(visible)).select_related("person", "household")
    return qs.order_by("region_code", "pk"), frame
