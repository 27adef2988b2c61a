import datetime as dt

import pytest

from pims.lib import clock
from pims.synth.generator import Generator, VillageSpec

AS_OF = clock.today() - dt.timedelta(days=30)  # ages are as of a month before the pinned today


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads and rejected-rows files go to a throwaway protected storage."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def codes(db):
    from pims.integration.testing import load_code_tables

    load_code_tables()


@pytest.fixture
def population(regions):
    """A generated population of the three fixture villages and its generator."""

    def make(seed=1, per_village=120):
        specs = [
            VillageSpec(r.code, r.name, per_village)
            for r in (regions["village_a1"], regions["village_a2"], regions["village_b1"])
        ]
        g = Generator(seed=seed, as_of=AS_OF, other_codes=[s.code for s in specs])
        return g, g.population(specs)

    return make
