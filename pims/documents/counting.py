"""登记孩次: the birth order a couple registers, derived from the register
by the rule of DOMAIN.md §2 [V, Hunan 2022 rules]:

    count the couple's joint children (born before the marriage too);
    leave out children from an earlier marriage of either spouse, adopted
    children, children who have died, and children with a third party.

The derivation lists every child of either spouse the register knows, each
with whether it counts and why, so the page can show how the number came
about. A child's parents are those of its birth record (registry.Birth);
an adopted child is one recorded as 养子/养女 of the household head without
a birth record naming either spouse as parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pims.registry.models import Birth, Marriage, Person, PersonStatus

# Why a child counts or not; tests assert these ids.
JOINT = "joint"
JOINT_BEFORE_MARRIAGE = "joint_before_marriage"
DEAD = "dead"
EARLIER_MARRIAGE = "earlier_marriage"
THIRD_PARTY = "third_party"
OTHER_PARENT_UNKNOWN = "other_parent_unknown"
ADOPTED = "adopted"

REASONS = {
    JOINT: _("夫妻双方共同子女，计入孩次"),
    JOINT_BEFORE_MARRIAGE: _("夫妻双方婚前所生共同子女，计入孩次"),
    DEAD: _("已死亡的子女不计入孩次"),
    EARLIER_MARRIAGE: _("%(parent)s与前配偶所生子女，不计入孩次"),
    THIRD_PARTY: _("%(parent)s与第三方所生子女，不计入孩次"),
    OTHER_PARENT_UNKNOWN: _("出生记录只登记了%(parent)s一方，按非共同子女不计入孩次（请核实出生记录）"),
    ADOPTED: _("收养子女不计入孩次"),
}
COUNTED = {JOINT, JOINT_BEFORE_MARRIAGE}
# GB/T 4761 family relationships 27 养子或继子, 37 养女或继女.
ADOPTED_RELATIONSHIPS = ("27", "37")


@dataclass(frozen=True)
class ChildLine:
    person_id: int
    name: str
    sex: str
    birth_date: dt.date
    reason: str
    text: str

    @property
    def counted(self) -> bool:
        return self.reason in COUNTED

    def as_dict(self) -> dict:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "reason": self.reason,
            "text": self.text,
            "counted": self.counted,
        }


@dataclass(frozen=True)
class Derivation:
    lines: tuple[ChildLine, ...]
    # For a child already born (补登): its own place among the counted children.
    for_child_id: int | None = None

    @property
    def counted(self) -> list[ChildLine]:
        return [line for line in self.lines if line.counted]

    @property
    def birth_order(self) -> int:
        """The 孩次 to register: the next child's, or the registered child's own."""
        counted = self.counted
        if self.for_child_id is None:
            return len(counted) + 1
        ids = [line.person_id for line in counted]
        return ids.index(self.for_child_id) + 1 if self.for_child_id in ids else 0

    def as_list(self) -> list[dict]:
        return [line.as_dict() for line in self.lines]


def derive(
    husband: Person, wife: Person, *, marriage: Marriage | None = None, child: Person | None = None
) -> Derivation:
    """The derivation of the couple's 登记孩次 from the register (three queries).

    With `child` (补登), the order is that child's place among the counted
    children, by birth date; a child born after it does not change it."""
    births = list(
        Birth.objects.filter(Q(father=husband) | Q(mother=wife) | Q(father=wife) | Q(mother=husband))
        .select_related("child")
        .order_by("child__birth_date", "child_id")
    )
    earlier = _earlier_spouses(husband, wife, marriage)
    lines = []
    parented = set()
    for b in births:
        kid = b.child
        parented.add(kid.pk)
        if child is not None and kid.birth_date > child.birth_date:
            continue
        lines.append(_line(kid, _reason(b, husband, wife, earlier, marriage), husband, wife, b))
    for kid in _adopted(husband, wife, parented):
        if child is None or kid.birth_date <= child.birth_date:
            lines.append(_line(kid, ADOPTED, husband, wife, None))
    lines.sort(key=lambda line: (line.birth_date, line.person_id))
    return Derivation(tuple(lines), for_child_id=child.pk if child is not None else None)


def _reason(b: Birth, husband: Person, wife: Person, earlier: set[int], marriage: Marriage | None) -> str:
    joint = b.father_id == husband.pk and b.mother_id == wife.pk
    if joint:
        if b.child.status == PersonStatus.DEAD:
            return DEAD
        if marriage is not None and marriage.date and b.child.birth_date < marriage.date:
            return JOINT_BEFORE_MARRIAGE
        return JOINT
    other = b.mother_id if b.father_id == husband.pk else b.father_id
    if other is None:
        return OTHER_PARENT_UNKNOWN
    return EARLIER_MARRIAGE if other in earlier else THIRD_PARTY


def _earlier_spouses(husband: Person, wife: Person, marriage: Marriage | None) -> set[int]:
    """Every other spouse either spouse was ever married to."""
    rows = Marriage.objects.filter(Q(husband=husband) | Q(wife=wife))
    if marriage is not None:
        rows = rows.exclude(pk=marriage.pk)
    out: set[int] = set()
    for m in rows.values_list("husband_id", "wife_id"):
        out.update(pk for pk in m if pk not in (husband.pk, wife.pk))
    return out


def _adopted(husband: Person, wife: Person, parented: set[int]) -> list[Person]:
    heads = [p.household_id for p in (husband, wife) if p.household.head_id == p.pk]
    if not heads:
        return []
    return list(
        Person.objects.filter(household_id__in=heads, relationship__in=ADOPTED_RELATIONSHIPS).exclude(pk__in=parented)
    )


def _line(kid: Person, reason: str, husband: Person, wife: Person, b: Birth | None) -> ChildLine:
    parent = ""
    if b is not None and reason in (EARLIER_MARRIAGE, THIRD_PARTY, OTHER_PARENT_UNKNOWN):
        parent = "男方" if husband.pk in (b.father_id, b.mother_id) else "女方"
    template = REASONS[reason]
    text = str(template) % {"parent": parent} if "%(parent)s" in str(template) else str(template)
    return ChildLine(kid.pk, kid.name, kid.sex, kid.birth_date, reason, text)
