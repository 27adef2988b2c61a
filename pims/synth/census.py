"""Targets the synthetic population is calibrated to: Liaoning Province, 7th
national census (standard time 2020-11-01), from 辽宁省第七次全国人口普查公报
(辽宁省统计局, 2021-05-30). Sources and the comparison with a generated
population are in docs/synthetic-population.md.

The bulletin publishes broad age groups only. The five-year shape inside them
(`AGE_GROUP_SHARES`) is an assumption — Liaoning's pyramid is widest at the
1960s birth cohorts and narrow below age 30 — scaled so that the published
shares come out exactly. Sex ratios by age are assumptions too (more boys at
young ages, more women among the old), scaled to the published total 99.70.
"""

# Published figures (percent of the resident population, sex ratio men per 100 women).
LIAONING_2020 = {
    "population": 42_591_407,
    "age_0_14": 11.12,
    "age_15_59": 63.16,
    "age_60_plus": 25.72,
    "age_65_plus": 17.42,
    "sex_ratio": 99.70,
    "family_households": 17_467_111,
    "collective_households": 701_282,
    "family_household_persons": 39_914_651,
    "collective_household_persons": 2_676_756,
    "persons_per_family_household": 2.29,
    "han_share": 84.92,
}

# Five-year groups (lower bound) → assumed share in percent; 85 stands for 85+.
_SHAPE = {
    0: 3.0,
    5: 3.9,
    10: 4.2,
    15: 3.9,
    20: 4.6,
    25: 5.9,
    30: 7.6,
    35: 6.4,
    40: 6.5,
    45: 8.6,
    50: 9.7,
    55: 9.8,
    60: 8.3,
    65: 7.3,
    70: 4.6,
    75: 2.8,
    80: 1.7,
    85: 1.0,
}

# Assumed sex ratio (men per 100 women) by group.
_SEX_RATIO = {
    0: 108,
    5: 108,
    10: 107,
    15: 106,
    20: 104,
    25: 103,
    30: 102,
    35: 102,
    40: 101,
    45: 101,
    50: 100,
    55: 99,
    60: 97,
    65: 94,
    70: 90,
    75: 84,
    80: 76,
    85: 62,
}

MAX_AGE = 100


def _scaled_shape() -> dict[int, float]:
    """Scale the assumed shape within each published band so that the bands
    0–14, 15–59, 60–64 and 65+ match the bulletin exactly."""
    t = LIAONING_2020
    bands = [
        (range(0, 15), t["age_0_14"]),
        (range(15, 60), t["age_15_59"]),
        (range(60, 65), t["age_60_plus"] - t["age_65_plus"]),
        (range(65, 200), t["age_65_plus"]),
    ]
    out = {}
    for ages, share in bands:
        groups = [g for g in _SHAPE if g in ages]
        total = sum(_SHAPE[g] for g in groups)
        for g in groups:
            out[g] = _SHAPE[g] * share / total
    return out


AGE_GROUP_SHARES = _scaled_shape()


def _cell_targets() -> dict[tuple[str, int], float]:
    """(sex, five-year group) → share of the population (sums to 1), with the
    assumed ratios scaled so that the total sex ratio is the bulletin's."""

    def split(factor):
        cells = {}
        for g, share in AGE_GROUP_SHARES.items():
            r = _SEX_RATIO[g] * factor
            cells[("1", g)] = share * r / (100 + r) / 100
            cells[("2", g)] = share * 100 / (100 + r) / 100
        return cells

    lo, hi = 0.5, 1.5
    for _ in range(60):  # bisection on a common factor for all ratios
        mid = (lo + hi) / 2
        cells = split(mid)
        men = sum(v for (s, _), v in cells.items() if s == "1")
        if men / (1 - men) * 100 < LIAONING_2020["sex_ratio"]:
            lo = mid
        else:
            hi = mid
    return split((lo + hi) / 2)


CELL_TARGETS = _cell_targets()


def group_of(age: int) -> int:
    return min(85, age - age % 5)


def age_weights(lo: int = 0, hi: int = MAX_AGE) -> tuple[list[int], list[float]]:
    """Single years lo..hi with weights from the five-year shares (flat within
    a group; 85+ spread over 85–100 with a falling tail)."""
    ages, weights = [], []
    for age in range(lo, hi + 1):
        g = group_of(age)
        w = AGE_GROUP_SHARES[g] / 5
        if g == 85:
            w = AGE_GROUP_SHARES[85] * (0.8 ** (age - 85)) / sum(0.8**k for k in range(MAX_AGE - 84))
        ages.append(age)
        weights.append(w)
    return ages, weights


def summarise(ages_sexes) -> dict[str, float]:
    """Shares (percent) and sex ratio of (age, sex) pairs, keyed like LIAONING_2020."""
    n = men = a014 = a1559 = a60 = a65 = 0
    for age, sex in ages_sexes:
        n += 1
        men += sex == "1"
        if age < 15:
            a014 += 1
        elif age < 60:
            a1559 += 1
        else:
            a60 += 1
            a65 += age >= 65
    if not n:
        return {}
    return {
        "age_0_14": 100 * a014 / n,
        "age_15_59": 100 * a1559 / n,
        "age_60_plus": 100 * a60 / n,
        "age_65_plus": 100 * a65 / n,
        "sex_ratio": 100 * men / max(1, n - men),
    }
