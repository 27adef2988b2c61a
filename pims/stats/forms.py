"""Report parameters from the query string: validated, never coerced
silently — a bad value is named in the error and the default is used."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.events.periods import is_period, period_of
from pims.lib import clock

from .frame import Params

MAX_MONTHS = 120


def parse_params(query) -> tuple[Params, list[str | Promise]]:
    errors: list[str | Promise] = []
    this_month = period_of(clock.today())
    first = (query.get("period") or "").strip() or this_month
    if not is_period(first):
        errors.append(_("统计月份“%(value)s”无效（格式 YYYY-MM），已改为本月") % {"value": first[:20]})
        first = this_month
    last = (query.get("to") or "").strip() or first
    if not is_period(last) or last < first:
        errors.append(
            _("截止月份“%(value)s”无效（格式 YYYY-MM，不早于起始月份），已改为起始月份") % {"value": last[:20]}
        )
        last = first
    if last > this_month:
        errors.append(_("截止月份 %(value)s 晚于本月，已改为本月") % {"value": last})
        last = this_month
        first = min(first, last)
    params = Params(first=first, last=last)
    if len(params.periods) > MAX_MONTHS:
        errors.append(_("统计期不能超过 %(n)d 个月，已改为单月") % {"n": MAX_MONTHS})
        last = first
    kind = (query.get("kind") or Spell.Kind.REGISTERED).strip()
    if kind not in Spell.Kind.values:
        errors.append(_("人口口径无效，已改为户籍人口"))
        kind = Spell.Kind.REGISTERED
    single = query.get("ages") == "single"
    return Params(first=first, last=last, kind=kind, single_years=single), errors


def params_query(params: Params) -> dict:
    out = {"period": params.first, "to": params.last, "kind": params.kind}
    if params.single_years:
        out["ages"] = "single"
    return out
