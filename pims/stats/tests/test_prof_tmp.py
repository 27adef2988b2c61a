import cProfile, pstats
import pytest

def test_prof(request, personas, regions, codes):
    from pims.stats.tests import conftest as c
    pr = cProfile.Profile(); pr.enable()
    request.getfixturevalue("world")
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
