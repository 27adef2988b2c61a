"""Stage 'match', probabilistic part: the persons of a departmental file the
citizen ID did not match (no ID, a mistyped or unknown one) scored against
the register with Splink on DuckDB (DESIGN.md §9).

The scoped register — the persons of the file's jurisdiction only — is
exported once per run to an in-memory DuckDB database (no second PostgreSQL
driver) and every file person is compared with the register persons that
share a blocking key (birth date, name as pinyin, pinyin initials and birth
year, the spouse's name as pinyin), on:

- the name as **characters and as pinyin** (张丽 / 张莉 sound the same: a
  level of its own, between the same characters and a close sound), with a
  term-frequency adjustment (a common name says less than a rare one);
- the birth date (the same; one digit off or day and month swapped);
- the sex;
- the spouse's name as pinyin (for a birth: the mother's husband against
  the certificate's father; for a divorce: the other party);
- the citizen ID: one digit off or two neighbouring digits swapped (found
  through the blind index of every such variant, so no ID is decrypted).

The model of a county (`MatchModel`) is trained once on its register: the
m-probabilities are the ones below (how often departmental data of a true
match agree on each item — the same in every county), the u-probabilities
are estimated by Splink from a seeded random sample of the register
(how often two different persons of this county agree by chance: common
surnames, birth cohorts), and the prior is one in the register's size.
The same register gives the same model (the seed).

Each candidate's probability and the comparisons that drove it (a level
label in Chinese and its match weight) are returned for the record and the
review page. Thresholds: pims.params `intake.match.auto_min` and
`intake.match.review_min`.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from pims.lib import citizen_id as cid
from pims.lib.names import name_pinyin
from pims.registry.models import Marriage, Person, PersonStatus
from pims.registry.personal import citizen_id_index

VERSION = 1
SEED = 20
U_PAIRS = 2_000_000
CANDIDATES_MAX = 5


@dataclass(frozen=True)
class Level:
    sql: str
    label: str  # what the review page says about a pair at this level
    m: float
    u: float | None = None  # fixed u (a level a random sample cannot observe)
    tf: str = ""


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    null_sql: str
    levels: tuple[Level, ...]


def _swapped_day_month(a: str, b: str) -> str:
    return f"(substr({a},1,4) = substr({b},1,4) AND substr({a},6,2) = substr({b},9,2) AND substr({a},9,2) = substr({b},6,2))"


ITEMS = (
    Item(
        "name",
        "姓名",
        "name_l IS NULL OR name_r IS NULL",
        (
            Level("name_l = name_r", "姓名相同", 0.86, tf="name"),
            Level("name_py_l = name_py_r", "姓名读音相同（同音字）", 0.08),
            Level("jaro_winkler_similarity(name_py_l, name_py_r) >= 0.9", "姓名读音相近", 0.03),
            Level("ELSE", "姓名不同", 0.03),
        ),
    ),
    Item(
        "birth_date",
        "出生日期",
        "birth_date_l IS NULL OR birth_date_r IS NULL",
        (
            Level("birth_date_l = birth_date_r", "出生日期相同", 0.92),
            Level(
                f"damerau_levenshtein(birth_date_l, birth_date_r) <= 1 OR {_swapped_day_month('birth_date_l', 'birth_date_r')}",
                "出生日期只差一位或日月颠倒",
                0.06,
            ),
            Level("ELSE", "出生日期不同", 0.02),
        ),
    ),
    Item(
        "sex",
        "性别",
        "sex_l IS NULL OR sex_r IS NULL",
        (
            Level("sex_l = sex_r", "性别相同", 0.995),
            Level("ELSE", "性别不同", 0.005),
        ),
    ),
    Item(
        "partner",
        "配偶姓名",
        "partner_py_l IS NULL OR partner_py_r IS NULL",
        (
            Level("partner_py_l = partner_py_r", "配偶（父亲）姓名读音相同", 0.9),
            Level("jaro_winkler_similarity(partner_py_l, partner_py_r) >= 0.9", "配偶（父亲）姓名读音相近", 0.05),
            Level("ELSE", "配偶（父亲）姓名不同", 0.05),
        ),
    ),
    Item(
        "citizen_id",
        "公民身份号码",
        "NOT (id_given_l AND id_given_r)",
        (
            Level(
                "list_contains(near_l, unique_id_r) OR list_contains(near_r, unique_id_l)",
                "身份号码只差一位或两位颠倒",
                0.7,
                u=1e-6,
            ),
            Level("ELSE", "身份号码不同", 0.3, u=1 - 1e-6),
        ),
    ),
)
COLUMNS = (
    "unique_id",
    "name",
    "name_py",
    "initials",
    "birth_year",
    "sex",
    "birth_date",
    "partner_py",
    "id_given",
    "near",
)


def _comparisons():
    import splink.comparison_library as cl

    out = []
    for item in ITEMS:
        levels: list[dict] = [{"sql_condition": item.null_sql, "label_for_charts": "无法比较", "is_null_level": True}]
        for level in item.levels:
            d: dict = {
                "sql_condition": level.sql,
                "label_for_charts": level.label,
                "m_probability": level.m,
                "fix_m_probability": True,
            }
            if level.u is not None:
                d |= {"u_probability": level.u, "fix_u_probability": True}
            if level.tf:
                d["tf_adjustment_column"] = level.tf
            levels.append(d)
        out.append(cl.CustomComparison(output_column_name=item.key, comparison_levels=levels))
    return out


def _settings(prior: float):
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("name_py"),
            block_on("initials", "birth_year"),
            block_on("partner_py"),
        ],
        retain_intermediate_calculation_columns=True,
        probability_two_random_records_match=prior,
    )


# --- the register, as the matcher sees it ---------------------------------------------


def _empty() -> dict[str, list]:
    return {c: [] for c in COLUMNS}


def _add(
    table: dict[str, list],
    *,
    uid: int,
    name: str,
    pinyin: str,
    initials: str,
    sex: str,
    birth,
    partner: str,
    id_given: bool,
    near: list[int],
) -> None:
    table["unique_id"].append(uid)
    table["name"].append(name or None)
    table["name_py"].append(pinyin or None)
    table["initials"].append(initials or None)
    table["birth_year"].append(birth.year if birth else None)
    table["sex"].append(sex or None)
    table["birth_date"].append(birth.isoformat() if birth else None)
    table["partner_py"].append(partner or None)
    table["id_given"].append(id_given)
    table["near"].append(near)


def register_table(prefix: str, *, active_only: bool = True) -> dict[str, list]:
    """The persons registered in `prefix`'s subtree as the matcher's columns
    (`prefix` "" is every person: a command-line run)."""
    persons = Person.objects.filter(registered_code__startswith=prefix) if prefix else Person.objects.all()
    if active_only:
        persons = persons.filter(status=PersonStatus.ACTIVE)
    spouses = _spouse_pinyin(prefix)
    table = _empty()
    rows = persons.values_list("id", "name", "name_pinyin", "name_initials", "sex", "birth_date", "id_index")
    for pk, name, pinyin, initials, sex, birth, index in rows.iterator(chunk_size=20_000):
        _add(
            table,
            uid=pk,
            name=name,
            pinyin=pinyin,
            initials=initials,
            sex=sex,
            birth=birth,
            partner=spouses.get(pk, ""),
            id_given=bool(index),
            near=[],
        )
    return table


def _spouse_pinyin(prefix: str) -> dict[int, str]:
    """Each married person's current spouse's name as pinyin."""
    marriages = Marriage.objects.filter(end_date__isnull=True)
    if prefix:
        marriages = marriages.filter(
            Q(wife__registered_code__startswith=prefix) | Q(husband__registered_code__startswith=prefix)
        )
    out = {}
    for husband, wife, h_py, w_py in marriages.values_list(
        "husband_id", "wife_id", "husband__name_pinyin", "wife__name_pinyin"
    ).iterator(chunk_size=20_000):
        out[husband], out[wife] = w_py, h_py
    return out


# --- IDs one keystroke away -------------------------------------------------------------


def id_variants(raw: str) -> set[str]:
    """The valid 18-digit IDs one digit away from `raw` or with two
    neighbouring characters swapped (a 15-digit number's variants
    converted) — what a clerk's single slip would have turned them into."""
    text = cid.normalise(raw)
    if len(text) not in (15, 18):
        return set()
    candidates = set()
    for i in range(len(text)):
        for ch in "0123456789X" if i == 17 else "0123456789":
            if ch != text[i]:
                candidates.add(text[:i] + ch + text[i + 1 :])
        if i + 1 < len(text) and text[i] != text[i + 1]:
            candidates.add(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    out = set()
    for c in candidates:
        if len(c) == 18 and (not c[:17].isdigit() or cid.check_char(c[:17]) != c[17]):
            continue  # the check digit rules it out: cheaper than parsing it
        try:
            out.add(cid.parse(c).number)
        except cid.CitizenIdError:
            continue
    return out


def near_persons(raws: list[str], prefix: str) -> list[list[int]]:
    """For each raw ID, the register persons (in `prefix`) whose ID is one
    slip away from it, found by the blind index of every variant."""
    wanted: dict[str, list[int]] = {}
    for i, raw in enumerate(raws):
        for number in id_variants(raw) if raw else ():
            wanted.setdefault(citizen_id_index(number), []).append(i)
    out: list[list[int]] = [[] for _ in raws]
    keys = list(wanted)
    for start in range(0, len(keys), 1000):
        rows = Person.objects.filter(id_index__in=keys[start : start + 1000])
        if prefix:
            rows = rows.filter(registered_code__startswith=prefix)
        for pk, index in rows.values_list("id", "id_index"):
            for i in wanted.get(index or "", []):  # the filter found only indexed persons
                out[i].append(pk)
    return out


# --- the model --------------------------------------------------------------------------


def county_of(prefix: str) -> str:
    return prefix[:6]


def match_model(prefix: str):
    """The county's model, trained on its register the first time it is needed."""
    from pims.integration.models import MatchModel

    county = county_of(prefix)
    found = MatchModel.objects.filter(county_code=county, version=VERSION).first()
    return found if found is not None else match_model_train(county=county)


def match_model_train(*, county: str):
    """Train (again) the county's model on its register: u-probabilities from
    a seeded random sample, the prior one in the register's size."""
    from pims.integration.models import MatchModel

    table = register_table(county)
    settings = trained_settings(table)
    with transaction.atomic():
        return MatchModel.objects.create(
            county_code=county, version=VERSION, seed=SEED, register_size=len(table["unique_id"]), settings=settings
        )


def trained_settings(table: dict[str, list]) -> dict:
    """The model's Splink settings trained on a register table (`register_table`'s columns)."""
    from splink import DuckDBAPI, Linker

    size = len(table["unique_id"])
    db = DuckDBAPI()
    linker = Linker(db.register(table, table_name="register"), _settings(1 / max(size, 2)), log_level=logging.ERROR)
    if size >= 2:
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    settings = _filled(linker.misc.save_model_to_json())
    settings.pop("linker_uid", None)
    return settings


def _filled(settings: dict) -> dict:
    """A level no random pair reached (a tiny register) gets a small u, so
    the model scores every level."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and not level.get("u_probability"):
                level["u_probability"] = 1e-4
    return settings


# --- scoring ----------------------------------------------------------------------------


@dataclass
class Scored:
    person_id: int
    probability: float
    why: list[dict] = field(default_factory=list)  # [{"item", "label", "weight"}] in ITEMS' order

    def as_dict(self) -> dict:
        return {"person": self.person_id, "p": round(self.probability, 6), "why": self.why}


@dataclass
class Wanted:
    """A file person for the probabilistic matcher."""

    name: str
    sex: str
    birth_date: object
    partner: str = ""
    raw_id: str = ""
    near: list[int] = field(default_factory=list)


class Scorer:
    """A register table in DuckDB with a model's settings: any number of
    batches of file persons scored against it (no Django: benchmarks use it)."""

    def __init__(self, table: dict[str, list], settings: dict):
        from splink import DuckDBAPI, Linker

        self.db = DuckDBAPI()
        self.register = self.db.register(table, table_name="register")
        self.linker = Linker(self.register, settings, log_level=logging.ERROR)
        self.linker.table_management.compute_tf_table("name")
        self._batches = 0

    def score(self, people: list[Wanted], *, floor: float) -> list[list[Scored]]:
        """For each person, the register persons scoring at least `floor`,
        best first (at most CANDIDATES_MAX)."""
        if not people:
            return []
        table = _empty()
        for i, p in enumerate(people):
            pinyin, initials = name_pinyin(p.name) if p.name else ("", "")
            partner = name_pinyin(p.partner)[0] if p.partner else ""
            _add(
                table,
                uid=-(i + 1),
                name=p.name.strip(),
                pinyin=pinyin,
                initials=initials,
                sex=p.sex,
                birth=p.birth_date,
                partner=partner,
                id_given=bool(cid.normalise(p.raw_id)),
                near=p.near,
            )
        self._batches += 1
        batch = self.db.register(table, table_name=f"batch_{self._batches}")
        predictions = self.linker.inference.predict_between(
            batch, self.register, link_type="link_only", threshold_match_probability=floor, warning_mode="never"
        )
        out: list[list[Scored]] = [[] for _ in people]
        for row in predictions.as_record_list():
            file_id, person_id = _sides(row)
            out[-file_id - 1].append(Scored(person_id, float(row["match_probability"]), why(row)))
        predictions.drop_table_from_database_and_remove_from_cache()
        for found in out:
            found.sort(key=lambda s: (-s.probability, s.person_id))
            del found[CANDIDATES_MAX:]
        return out


class Matcher:
    """The probabilistic matcher of one run: the scoped register exported to
    DuckDB and the county's model loaded once (on the first batch), then any
    number of batches."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self._scorer: Scorer | None = None
        self.model = None

    def score(self, people: list[Wanted], *, floor: float) -> list[list[Scored]]:
        if not people:
            return []
        if self._scorer is None:
            model = self.model = match_model(self.prefix)
            self._scorer = Scorer(register_table(self.prefix), model.settings)
        return self._scorer.score(people, floor=floor)


def _sides(row: dict) -> tuple[int, int]:
    left, right = int(row["unique_id_l"]), int(row["unique_id_r"])
    return (left, right) if left < 0 else (right, left)


def why(row: dict) -> list[dict]:
    """The level each comparison reached and its match weight (the
    term-frequency adjustment included), for the page."""
    out = []
    for item in ITEMS:
        gamma = row.get(f"gamma_{item.key}")
        if gamma is None or gamma < 0:
            continue
        level = item.levels[len(item.levels) - 1 - int(gamma)]
        weight = float(row.get(f"mw_{item.key}") or 0) + float(row.get(f"mw_tf_adj_{item.key}") or 0)
        out.append({"item": item.key, "label": level.label, "weight": round(weight, 2) if math.isfinite(weight) else 0})
    return out


def thresholds(on=None) -> tuple[float, float]:
    """(automatic, review) lower bounds in force (pims.params)."""
    from pims.params.selectors import param_value

    auto: Decimal = param_value("intake.match.auto_min", on)
    review: Decimal = param_value("intake.match.review_min", on)
    return float(auto), float(review)


def explain(scored: dict) -> str:
    """A candidate's probability and comparisons in words, for the review page."""
    parts = [f"{w['label']}（{w['weight']:+.1f}）" for w in scored.get("why", [])]
    return f"匹配概率 {100 * scored['p']:.1f}%：" + "；".join(parts)


def unique(items: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(items))
