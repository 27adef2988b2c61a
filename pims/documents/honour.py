"""独生子女父母光荣证: eligibility from the register (DOMAIN.md §4), one named
condition per rule, each answering pass / fail / missing data with a reason
a clerk reads. The policy values (the era's dates, the child's age limit,
the reward's end age) are read from the dated parameter table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from pims.params.selectors import param_entry, param_value
from pims.registry.models import Marriage, Person

from . import counting

PASS, FAIL, MISSING = "pass", "fail", "missing"
RESULT_LABELS = {PASS: _("符合"), FAIL: _("不符合"), MISSING: _("缺少数据")}

ONE_CHILD = "H1"
ERA = "H2"
NO_OTHER_CHILD = "H3"
CHILD_AGE = "H4"
COMMITMENT = "H5"
TITLES = {
    ONE_CHILD: _("夫妻只有这一个子女"),
    ERA: _("子女出生在独生子女政策时期"),
    NO_OTHER_CHILD: _("本次婚姻中任一方没有其他子女"),
    CHILD_AGE: _("申请时子女未超过年龄上限"),
    COMMITMENT: _("已签署承诺书"),
}


@dataclass(frozen=True)
class Check:
    id: str
    result: str
    reason: str

    @property
    def passed(self) -> bool:
        return self.result == PASS

    def as_dict(self) -> dict:
        return {"id": self.id, "title": str(TITLES[self.id]), "result": self.result, "reason": self.reason}


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _unverified(key: str, day: dt.date) -> str:
    entry = param_entry(key, day)
    return "" if entry is None or entry.verified else "（参数待核实）"


def eligibility(
    *, husband: Person, wife: Person, marriage: Marriage, child: Person, commitment: bool, today: dt.date
) -> list[Check]:
    """Every condition of DOMAIN.md §4 for this couple and child, in order."""
    d = counting.derive(husband, wife, marriage=marriage)
    counted = d.counted
    checks = []
    if [line.person_id for line in counted] == [child.pk]:
        checks.append(Check(ONE_CHILD, PASS, str(_("计入孩次的子女只有%(name)s")) % {"name": child.name}))
    elif not any(line.person_id == child.pk for line in counted):
        line = next((x for x in d.lines if x.person_id == child.pk), None)
        why = line.text if line is not None else str(_("库中没有该子女以这对夫妻为父母的出生记录"))
        checks.append(
            Check(ONE_CHILD, FAIL, str(_("%(name)s不计入这对夫妻的孩次：%(why)s")) % {"name": child.name, "why": why})
        )
    else:
        names = "、".join(line.name for line in counted)
        checks.append(
            Check(ONE_CHILD, FAIL, str(_("计入孩次的子女有 %(n)s 个：%(names)s")) % {"n": len(counted), "names": names})
        )
    start, end = param_value("honour.era_start", today), param_value("honour.era_end", today)
    if start <= child.birth_date <= end:
        checks.append(
            Check(
                ERA,
                PASS,
                str(_("出生于 %(born)s，在 %(start)s 至 %(end)s 之间"))
                % {"born": child.birth_date, "start": start, "end": end},
            )
        )
    else:
        checks.append(
            Check(
                ERA,
                FAIL,
                str(_("出生于 %(born)s，不在 %(start)s 至 %(end)s 之间"))
                % {"born": child.birth_date, "start": start, "end": end},
            )
        )
    checks.append(_no_other_child(d, marriage, child))
    limit = param_value("honour.child_age_limit", today)
    age = age_on(child.birth_date, today)
    mark = _unverified("honour.child_age_limit", today)
    if age < limit:
        checks.append(
            Check(
                CHILD_AGE,
                PASS,
                str(_("子女现年 %(age)s 周岁，未满 %(limit)s 周岁%(mark)s"))
                % {"age": age, "limit": limit, "mark": mark},
            )
        )
    else:
        checks.append(
            Check(
                CHILD_AGE,
                FAIL,
                str(_("子女现年 %(age)s 周岁，已满 %(limit)s 周岁%(mark)s"))
                % {"age": age, "limit": limit, "mark": mark},
            )
        )
    if commitment:
        checks.append(Check(COMMITMENT, PASS, str(_("夫妻双方已签署承诺书"))))
    else:
        checks.append(Check(COMMITMENT, MISSING, str(_("尚未签署承诺书"))))
    return checks


def _no_other_child(d: counting.Derivation, marriage: Marriage, child: Person) -> Check:
    others = [line for line in d.lines if line.person_id != child.pk and line.reason != counting.DEAD]
    adopted = [line for line in others if line.reason == counting.ADOPTED]
    if marriage.date is None:
        if any(line.reason != counting.EARLIER_MARRIAGE for line in others):
            names = "、".join(line.name for line in others)
            return Check(
                NO_OTHER_CHILD,
                MISSING,
                str(_("结婚日期未登记，无法判断%(names)s是否生于本次婚姻中")) % {"names": names},
            )
        return Check(NO_OTHER_CHILD, PASS, str(_("库中没有任一方在本次婚姻中的其他子女")))
    during = [line for line in others if line.birth_date >= marriage.date or line in adopted]
    if during:
        names = "、".join(f"{line.name}（{line.text}）" for line in during)
        return Check(NO_OTHER_CHILD, FAIL, str(_("本次婚姻中还有子女：%(names)s")) % {"names": names})
    return Check(NO_OTHER_CHILD, PASS, str(_("库中没有任一方在本次婚姻中的其他子女")))


def reward_period(child: Person, issued_on: dt.date) -> tuple[dt.date, dt.date]:
    """The 独生子女父母奖励费 period: from the month of issue until the day
    before the child reaches the age of the parameter then in force."""
    until = param_value("honour.reward_until_age", issued_on)
    born = child.birth_date
    try:
        birthday = born.replace(year=born.year + until)
    except ValueError:  # born on 29 February
        birthday = dt.date(born.year + until, 3, 1)
    return issued_on.replace(day=1), birthday - dt.timedelta(days=1)
