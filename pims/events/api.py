"""The events JSON API: the population balance, a person's timeline, and
filing and reviewing monthly change reports (信息变更单).

Reads go through the same selectors as the pages, writes through the same
services (so the same roles, capabilities, jurisdiction and register rules
apply). Refusals are answered by the API's one mapping (pims.api.errors):
404 for a report that is missing, outside the caller's region or that the
caller may not act on (as the pages do); 409 for a report in the wrong
state; 422 when events break a rule, each problem naming the record (the
event), the field and the rule.
"""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from django.http import Http404
from ninja import Body, Field, Router, Schema, Status

from pims.accounts.roles import Cap, has_capability
from pims.api.errors import refusals
from pims.lib.identity import UUID_DESCRIPTION
from pims.regions.selectors import access_region
from pims.registry.selectors import access_person

from . import rules, selectors, services
from .handlers import HANDLERS
from .models import ChangeReport, Event, Spell
from .periods import is_period

router = Router(tags=["events"])
Pk = Annotated[int, Field(ge=1, le=2**63 - 1)]


class BalanceOut(Schema):
    region_code: str
    kind: str
    first: str
    last: str
    start: int
    baseline: int
    births: int
    deaths: int
    moved_in: int
    moved_out: int
    cancelled: int
    corrected_in: int
    corrected_out: int
    end: int


class TimelineEntryOut(Schema):
    day: dt.date
    kind: str
    title: str
    detail: str
    status: str
    period: str
    late: bool


@router.get("/population/{code}", response=BalanceOut, url_name="events_population")
def population(request, code: str, period: str, last: str = "", kind: str = Spell.Kind.RESIDENT):
    """Stock at the start, flows and stock at the end of approval months
    period..last under a region (counted as in pims.events.selectors)."""
    region = access_region(request.user, code)
    if not has_capability(request.user, Cap.VIEW_REPORTS) or not is_period(period) or kind not in Spell.Kind.values:
        raise Http404
    b = selectors.population_balance(region.prefix, period, last if is_period(last) else period, kind=kind)
    return {
        "region_code": region.code,
        "kind": kind,
        "first": b.first,
        "last": b.last,
        "start": b.start,
        "end": b.end,
        **{
            k: getattr(b.flows, k)
            for k in (
                "baseline",
                "births",
                "deaths",
                "moved_in",
                "moved_out",
                "cancelled",
                "corrected_in",
                "corrected_out",
            )
        },
    }


@router.get("/persons/{pk}/timeline", response=list[TimelineEntryOut], url_name="events_person_timeline")
def person_timeline(request, pk: int):
    person = access_person(request.user, pk)
    return [
        {
            "day": e.day,
            "kind": e.kind,
            "title": e.title,
            "detail": e.detail,
            "status": e.status,
            "period": e.period,
            "late": e.late,
        }
        for e in selectors.person_timeline(person, user=request.user)
    ]


# --- change reports -----------------------------------------------------------


class ReportCreateIn(Schema):
    region_code: str = Field(..., description="村（村信息员）或乡镇（公安、民政、卫健来源）的 12 位区划代码")
    period: str = Field(..., description="报告月份 YYYY-MM")
    source: str = Field(Event.Source.VILLAGE, description="来源：village / police / civil / health")


class EventOut(Schema):
    id: int
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    event_type: str
    person_id: int | None
    related_person_id: int | None
    household_id: int | None
    supersedes_id: int | None
    effective_date: dt.date
    review_status: str
    approved_period: str
    summary: str


class CommentOut(Schema):
    event_id: int | None
    field: str
    message: str


class ChangeReportOut(Schema):
    id: int
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    region_code: str
    period: str
    source: str
    state: str
    version: int
    events: list[EventOut]
    comments: list[CommentOut]


class ReportCommentIn(Schema):
    message: str
    event_id: int | None = None
    field: str = Field("", description="针对的项目（表单上的名称，如“发生日期”）")


class ReportReturnIn(Schema):
    comments: list[ReportCommentIn]


def _event_out(e: Event, summary: str) -> dict:
    return {
        "id": e.pk,
        "event_type": e.event_type,
        "person_id": e.person_id,
        "related_person_id": e.related_person_id,
        "household_id": e.household_id,
        "supersedes_id": e.supersedes_id,
        "effective_date": e.effective_date,
        "review_status": e.review_status,
        "approved_period": e.approved_period,
        "summary": summary,
        "uuid": e.uuid,
    }


def _report_out(user, report: ChangeReport) -> dict:
    report = ChangeReport.objects.get(pk=report.pk)
    events = list(selectors.report_events(report))
    summaries = selectors.event_summaries(user, events, obj=report, region_code=report.region_code, what="api_report")
    return {
        "id": report.pk,
        "region_code": report.region_code,
        "period": report.period,
        "source": report.source,
        "state": report.state,
        "version": report.version,
        "uuid": report.uuid,
        "events": [_event_out(e, s) for e, s in zip(events, summaries, strict=True)],
        "comments": [{"event_id": c.event_id, "field": c.field, "message": c.message} for c in report.comments.all()],
    }


def _type_fields() -> str:
    lines = []
    for event_type, handler in HANDLERS.items():
        items = ["effective_date"]
        items += [
            k
            for k, v in (
                ("person", handler.PERSON),
                ("related_person", handler.RELATED),
                ("household", handler.HOUSEHOLD),
            )
            if v
        ]
        if getattr(handler, "TARGET", None):
            items.append("supersedes")
        items += [f.name + ("" if f.required else "?") for f in handler.FIELDS]
        lines.append(f"- `{event_type}`（{handler.LABEL}）：{', '.join(items)}")
    return "\n".join(lines)


@router.get("/reports/{report_id}", response=ChangeReportOut, url_name="events_report")
def report_detail(request, report_id: Pk):
    return _report_out(request.auth, selectors.access_report(request.auth, report_id))


@router.post(
    "/reports",
    response={201: ChangeReportOut, **refusals(404, 409, 422)},
    url_name="events_report_create",
    summary="新建信息变更单（草稿）",
)
def report_create(request, payload: ReportCreateIn):
    report = services.change_report_create(
        actor=request.auth,
        region_code=payload.region_code.strip(),
        period=payload.period.strip(),
        source=payload.source,
    )
    return Status(201, _report_out(request.auth, report))


@router.post(
    "/reports/{report_id}/events/{event_type}",
    response={201: EventOut, **refusals(404, 409, 422)},
    url_name="events_report_event_create",
    summary="在变更单中登记一条变动",
    description="请求体为该类型的各项（与页面表单相同的名称，值为字符串；"
    "`members` 为 [{person_id, relationship}]），按与页面相同的规则检查。各类型的项目（? 为选填）：\n\n"
    + _type_fields(),
)
def report_event_create(request, report_id: Pk, event_type: str, payload: Annotated[dict[str, Any], Body(...)]):
    report = selectors.access_report(request.auth, report_id)
    if event_type not in HANDLERS or event_type not in rules.SOURCE_TYPES.get(report.source, []):
        raise Http404
    event = services.event_file(actor=request.auth, report=report, event_type=event_type, data=payload)
    summary = selectors.event_summaries(
        request.auth, [event], obj=report, region_code=report.region_code, what="api_event"
    )[0]
    return Status(201, _event_out(event, summary))


@router.post(
    "/reports/{report_id}/submit",
    response={200: ChangeReportOut, **refusals(404, 409, 422)},
    url_name="events_report_submit",
    summary="提交变更单待乡镇审核",
)
def report_submit(request, report_id: Pk):
    report = selectors.access_report(request.auth, report_id)
    services.change_report_submit(actor=request.auth, report=report)
    return _report_out(request.auth, report)


@router.post(
    "/reports/{report_id}/approve",
    response={200: ChangeReportOut, **refusals(404, 409, 422)},
    url_name="events_report_approve",
    summary="审核通过变更单（全部变动生效）",
)
def report_approve(request, report_id: Pk):
    report = selectors.access_report(request.auth, report_id)
    services.change_report_approve(actor=request.auth, report=report)
    return _report_out(request.auth, report)


@router.post(
    "/reports/{report_id}/return",
    response={200: ChangeReportOut, **refusals(404, 409)},
    url_name="events_report_return",
    summary="退回变更单（附审核意见，可针对事件和项目）",
)
def report_return(request, report_id: Pk, payload: ReportReturnIn):
    report = selectors.access_report(request.auth, report_id)
    comments = [c.model_dump() for c in payload.comments]
    services.change_report_return(actor=request.auth, report=report, comments=comments)
    return _report_out(request.auth, report)
