"""Bulk-path speed-ups that change no result.

`pims.lib.citizen_id.region_known` looks the county code up in
python-stdnum's database on every call (~0.3–0.7 ms; for a million IDs,
minutes). Its answer depends only on the first six digits and the birth
year, so during a bulk load it is memoised on that pair. The substitution is
scoped to the `with` block and restores the original function afterwards.
Proposed to the lead: an ``lru_cache`` on ``(number[:6], birth_year)`` in
pims/lib/citizen_id.py itself, which would make this module unnecessary.
"""

from contextlib import contextmanager
from functools import lru_cache

from pims.lib import citizen_id as cid


@contextmanager
def memoised_region_lookup():
    original = cid.region_known

    @lru_cache(maxsize=20_000)
    def known(prefix: str, birth_year: int) -> bool:
        return original(prefix + "0" * 12, birth_year)

    def region_known(number: str, birth_year: int) -> bool:
        return known(number[:6], birth_year)

    cid.region_known = region_known
    try:
        yield
    finally:
        cid.region_known = original
