"""Stage 'match': the persons of a departmental file against the register.

First the citizen ID as `pims.lib.citizen_id.parse` reads it — normalised,
check digit verified, a 15-digit legacy number converted to its 18-digit
form, so the two are the same person — looked up by its blind index,
set-based. A person matches **exactly** when the ID is registered and the
name, sex and birth date the file gives agree with the register.

Every other person (an ID registered with other particulars, an ID not
registered, a mistyped or missing ID) goes to the probabilistic matcher
(`pipeline.probable`, Splink) over the register of the file's jurisdiction
only: the register persons scoring at least the review threshold are the
candidates, best first, each with its probability and the comparisons that
drove it. A person **without any ID** whose best candidate scores at least
the automatic threshold, with no second candidate, matches **probably** and
is applied like an exact match; a person whose file gives an ID that is not
theirs in the register (one digit off, two digits swapped, another
person's) is only ever a candidate for a reviewer.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q

from pims.lib import citizen_id as cid
from pims.registry.models import Person
from pims.registry.personal import citizen_id_index

EXACT, DIFFERS, UNKNOWN, INVALID, MISSING = "exact", "differs", "unknown", "invalid", "missing"
PROBABLE = "probable"
AUTOMATIC = (EXACT, PROBABLE)
KIND_LABELS = {
    EXACT: "身份号码一致，姓名、性别、出生日期相符",
    PROBABLE: "未提供身份号码，按姓名、出生日期、性别等概率比对自动认定",
    DIFFERS: "身份号码已登记，但其他项目与登记不同",
    UNKNOWN: "身份号码未在本县登记",
    INVALID: "身份号码无效",
    MISSING: "未提供身份号码",
}
ITEM_LABELS = {"name": "姓名", "sex": "性别", "birth_date": "出生日期"}
CANDIDATES_MAX = 5


@dataclass
class FilePerson:
    """A person as a file gives them (the ID as typed)."""

    name: str
    sex: str = ""
    birth_date: dt.date | None = None
    raw_id: str = ""
    partner: str = ""  # the spouse's (for a mother: the father's) name, when the record gives it


@dataclass
class Match:
    kind: str
    number: str = ""  # the 18-digit form ("" when unusable)
    id_problem: str = ""
    person_id: int | None = None
    diffs: list[str] = field(default_factory=list)  # item keys that differ from the register
    candidates: list[int] = field(default_factory=list)
    # The probabilistic matcher's finding: [{"person", "p", "why"}] best first, and its model.
    scores: list[dict] = field(default_factory=list)
    model: int | None = None

    @property
    def exact(self) -> bool:
        return self.kind == EXACT

    @property
    def automatic(self) -> bool:
        """Applied without a reviewer: exact, or probable (no ID, one clear candidate)."""
        return self.kind in AUTOMATIC

    def as_dict(self) -> dict:
        out: dict[str, object] = {
            "kind": self.kind,
            "person": self.person_id,
            "diffs": self.diffs,
            "candidates": self.candidates,
            "id_problem": self.id_problem,
        }
        if self.model is not None:
            out |= {"scores": self.scores, "model": self.model}
        return out


def same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s or "").split())

    return norm(a) == norm(b)


def parse_id(raw: str) -> tuple[str, str]:
    """(18-digit number, "") or ("", the reason it is unusable)."""
    if not cid.normalise(raw):
        return "", ""
    try:
        return cid.parse(raw).number, ""
    except cid.CitizenIdError as exc:
        return "", str(exc)


def _differences(person: FilePerson, row: dict) -> list[str]:
    out = []
    if not same_name(person.name, row["name"]):
        out.append("name")
    if person.sex and person.sex != row["sex"]:
        out.append("sex")
    if person.birth_date and person.birth_date != row["birth_date"]:
        out.append("birth_date")
    return out


PERSON_COLUMNS = ("id", "id_index", "name", "sex", "birth_date")


def match_persons(people: list[FilePerson], *, prefix: str = "", matcher=None) -> list[Match]:
    """One Match per person, in order. `prefix`: the register subtree
    candidates are looked for in (the importer's jurisdiction; "" all);
    `matcher`: the run's probabilistic matcher (`probable.Matcher`), else
    candidates are only the register persons of the same name, sex and
    birth date."""
    out: list[Match] = []
    by_index: dict[str, list[int]] = {}
    for i, person in enumerate(people):
        number, problem = parse_id(person.raw_id)
        if number:
            out.append(Match(UNKNOWN, number=number))
            by_index.setdefault(citizen_id_index(number), []).append(i)
        else:
            out.append(Match(INVALID if problem else MISSING, id_problem=problem))
    keys = list(by_index)
    for start in range(0, len(keys), 500):
        for row in Person.objects.filter(id_index__in=keys[start : start + 500]).values(*PERSON_COLUMNS):
            for i in by_index[row["id_index"]]:
                m = out[i]
                m.person_id, m.diffs = row["id"], _differences(people[i], row)
                m.kind = DIFFERS if m.diffs else EXACT
                if m.diffs:
                    m.candidates = [row["id"]]
    if matcher is None:
        _candidates(people, out, prefix)
    else:
        _probable(people, out, prefix, matcher)
    return out


def _probable(people: list[FilePerson], matches: list[Match], prefix: str, matcher) -> None:
    """The persons without an exact match scored by the probabilistic matcher."""
    from pims.integration.pipeline import probable

    auto_min, review_min = probable.thresholds()
    wanted = [i for i, m in enumerate(matches) if not m.exact]
    if not wanted:
        return
    near = probable.near_persons([people[i].raw_id for i in wanted], prefix)
    batch = [
        probable.Wanted(
            name=people[i].name,
            sex=people[i].sex,
            birth_date=people[i].birth_date,
            partner=people[i].partner,
            raw_id=people[i].raw_id,
            near=n,
        )
        for i, n in zip(wanted, near, strict=True)
    ]
    for i, scored in zip(wanted, matcher.score(batch, floor=review_min), strict=True):
        m = matches[i]
        m.scores, m.model = [s.as_dict() for s in scored], matcher.model.pk
        m.candidates = probable.unique(m.candidates + [s.person_id for s in scored])[:CANDIDATES_MAX]
        clear = scored and scored[0].probability >= auto_min and len(scored) == 1
        if m.kind == MISSING and clear:
            m.kind, m.person_id = PROBABLE, scored[0].person_id


def _candidates(people: list[FilePerson], matches: list[Match], prefix: str) -> None:
    """Same name, sex and birth date in the register: candidates for the
    persons without an exact match (never matched automatically)."""
    wanted = [
        i for i, m in enumerate(matches) if m.kind in (UNKNOWN, INVALID, MISSING) and people[i].birth_date is not None
    ]
    for start in range(0, len(wanted), 200):
        part = wanted[start : start + 200]
        q = Q()
        for i in part:
            p = people[i]
            q |= Q(name=p.name.strip(), birth_date=p.birth_date)
        rows = Person.objects.filter(q)
        if prefix:
            rows = rows.filter(registered_code__startswith=prefix)
        found: dict[tuple[str, dt.date | None], list[tuple[int, str]]] = {}
        for row in rows.order_by("id").values("id", "name", "birth_date", "sex"):
            found.setdefault((row["name"], row["birth_date"]), []).append((row["id"], row["sex"]))
        for i in part:
            p = people[i]
            hits = [pk for pk, sex in found.get((p.name.strip(), p.birth_date), []) if not p.sex or sex == p.sex]
            matches[i].candidates = [pk for pk in hits if pk != matches[i].person_id][:CANDIDATES_MAX]
