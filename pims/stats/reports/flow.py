"""5 流动人口: flow in / flow out events approved in the period, by sex,
age group (completed years at the period end) and where from / where to,
relative to the region's county, city and province.

The figures are filters over x_sex, x_birth (ages are taken at the end of
the report's period) and `place` (only its first six digits matter):
annotated on the events when live, read from the month-close cells
(`ClosedMigrant`) when every month of the period is closed.
"""

from django.db.models import CharField, F, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from pims.events.models import Event, EventType
from pims.lib.dates import aged_q

from ..closes import current_closes
from ..frame import Frame
from ..models import ClosedMigrant
from ..tables import Column, Section
from .base import CLOSED_NOTE, Measure, ReportDef, closed_cells, grouped_counts, result

AGES = [("a0", _("0–14岁"), 0, 14), ("a1", _("15–59岁"), 15, 59), ("a2", _("60岁及以上"), 60, None)]
PLACES = [
    ("county", _("本县")),
    ("city", _("本市外县")),
    ("province", _("本省外市")),
    ("other", _("外省")),
    ("unknown", _("不详")),
]
SIDES = {
    "in": (EventType.FLOW_IN, _("流入"), _("来源地"), "origin"),
    "out": (EventType.FLOW_OUT, _("流出"), _("去向地"), "destination"),
}


def columns(side: str) -> list[Column]:
    _type, label, where, _f = SIDES[side]
    return [
        Column(f"{side}_total", _("%(side)s合计") % {"side": label}, measure=f"{side}_total"),
        Column(f"{side}_male", _("男"), _("性别"), measure=f"{side}_male"),
        Column(f"{side}_female", _("女"), _("性别"), measure=f"{side}_female"),
        *[Column(f"{side}_{k}", text, _("年龄"), measure=f"{side}_{k}") for k, text, _lo, _hi in AGES],
        *[Column(f"{side}_{k}", text, where, measure=f"{side}_{k}") for k, text in PLACES],
    ]


def _place_q(frame: Frame, key: str) -> Q:
    code = frame.region.code
    county, city, province = code[:6], code[:4], code[:2]
    if key == "unknown":
        return Q(place="")
    q = ~Q(place="")
    if key == "county":
        return q & Q(place__startswith=county)
    if key == "city":
        return q & Q(place__startswith=city) & ~Q(place__startswith=county)
    if key == "province":
        return q & Q(place__startswith=province) & ~Q(place__startswith=city)
    return q & ~Q(place__startswith=province)


def _q(frame: Frame, side: str) -> dict[str, Q]:
    ref = frame.params.ref
    out = {f"{side}_total": Q(), f"{side}_male": Q(x_sex="1"), f"{side}_female": Q(x_sex="2")}
    for k, _text, lo, hi in AGES:
        out[f"{side}_{k}"] = aged_q(ref, lo, hi, "x_birth")
    for k, _text in PLACES:
        out[f"{side}_{k}"] = _place_q(frame, k)
    return out


class FlowReport(ReportDef):
    key = "flow"
    number = 5
    title = _("流动人口统计表")
    description = _("期内流入、流出人口按性别、年龄组、来源地/去向地")
    uses_kind = False

    def base(self, frame: Frame, side: str):
        event_type, _label, _where, field = SIDES[side]
        p = frame.params
        text: CharField = CharField()
        place: Cast | Coalesce = Cast(KT(f"payload__{field}_code"), text)
        if side == "in":  # a newcomer's origin defaults to the registered place
            place = Coalesce(NullIf(place, Value("")), F("person__registered_code"), Value(""), output_field=text)
        qs = Event.objects.filter(
            event_type=event_type,
            review_status=Event.Review.APPROVED,
            approved_period__gte=p.first,
            approved_period__lte=p.last,
        )
        return frame.grouped(frame.scoped(qs)).annotate(
            place=Coalesce(place, Value(""), output_field=text),
            x_sex=Coalesce(F("person__sex"), Value(""), output_field=text),
            x_birth=F("person__birth_date"),
        )

    def cells(self, frame: Frame, side: str, close_ids: list[int]):
        return closed_cells(frame, ClosedMigrant, close_ids, side=side).annotate(
            x_sex=F("sex"), x_birth=F("birth_date")
        )

    def measures(self, frame):
        labels = {c.key: (c.group + " " if c.group else "") + c.label for s in SIDES for c in columns(s)}
        return {
            k: Measure(s, (lambda f, q=q: q), SIDES[s][1] + " · " + labels[k])
            for s in SIDES
            for k, q in _q(frame, s).items()
        }

    def drill(self, frame, measure_key):
        side = measure_key.split("_", 1)[0]
        if side not in SIDES:
            return None
        q = _q(frame, side).get(measure_key)
        return None if q is None else self.base(frame, side).filter(q)

    def run(self, frame: Frame):
        p = frame.params
        closes = current_closes(frame.region, p.periods)
        closed = all(period in closes for period in p.periods)
        ids = [pk for period in p.periods for pk in closes.get(period, [])]
        sections = []
        for side in SIDES:
            cols = columns(side)
            if closed:
                data = grouped_counts(self.cells(frame, side, ids), _q(frame, side), weight="n")
            else:
                data = grouped_counts(self.base(frame, side), _q(frame, side))
            rows, total = frame.rows(data, cols)
            sections.append(
                Section(
                    side if side == "in" else "out",
                    _("%(side)s人口") % {"side": SIDES[side][1]},
                    _("区划"),
                    cols,
                    rows,
                    total,
                )
            )
        sections[0].key = "main"
        return result(
            self,
            frame,
            sections,
            basis=_(
                "期内审核通过的流入、流出登记（按审核月份统计）；年龄为统计期末周岁；来源地为登记的流出地，"
                "未填写时取户籍地；去向地为登记的流入地。"
            ),
            notes=[CLOSED_NOTE] if closed else [],
            closed=closed,
        )
