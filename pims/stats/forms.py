"""Report parameters from the query string: validated, never coerced
silently — a bad value is named in the error and the default is used."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.events.periods import is_period, period_of
from pims.lib import clock

from .frame import Params

MAX_MONTHS = 120

# Period presets (DOMAIN.md §9): the statistical year runs 10-01 → 09-30 and
# is named by the year it ends in; its half-year 10-01 → 03-31.
PRESETS = {
    "stat_year": (_("统计年度"), lambda y: (f"{y - 1}-10", f"{y}-09")),
    "half_year": (_("统计半年"), lambda y: (f"{y - 1}-10", f"{y}-03")),
    "year": (_("日历年度"), lambda y: (f"{y}-01", f"{y}-12")),
}


def preset_months(preset: str) -> tuple[str, str] | None:
    """ "stat_year:2026" → ("2025-10", "2026-09"); None for anything else."""
    name, _sep, year = preset.partition(":")
    if name not in PRESETS or not year.isdigit() or not 1900 < int(year) < 2200:
        return None
    return PRESETS[name][1](int(year))


def current_preset(name: str, today=None) -> str:
    """ "stat_year" → the statistical year running today ("stat_year:2027")."""
    today = today or clock.today()
    year = today.year + 1 if name in ("stat_year", "half_year") and today.month >= 10 else today.year
    return f"{name}:{year}"


def preset_choices(today=None) -> list[tuple[str, str]]:
    """The presets offered on the report pages: this year's and the last two."""
    year = (today or clock.today()).year
    out = []
    for y in (year + 1, year, year - 1, year - 2):
        for name, (label, months) in PRESETS.items():
            first, last = months(y)
            if first <= period_of(today or clock.today()):
                out.append((f"{name}:{y}", f"{y} {label}（{first} 至 {last}）"))
    return out


def parse_params(query) -> tuple[Params, list[str | Promise]]:
    errors: list[str | Promise] = []
    this_month = period_of(clock.today())
    preset = (query.get("preset") or "").strip()
    months = preset_months(preset) if preset else None
    if preset and months is None:
        errors.append(_("统计期预设“%(value)s”无效，已按起止月份查询") % {"value": preset[:20]})
    if months:
        # A year still running is reported to date (this month), without a warning.
        to = min(months[1], this_month) if months[0] <= this_month else months[1]
        query = {**{k: query.get(k) for k in ("kind", "ages")}, "period": months[0], "to": to}
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
