"""Every benchmark script still imports (bench/ is run by `make bench` only).

The scripts are not a package and no test runs them: a renamed product
function they import would first break the next `make bench`. Importing each
one (they only define at import; main runs under `__main__`) breaks the suite
instead. The locust script needs locust, which `make bench` installs on top
of the development set: it is compiled, and imported only where locust is.
"""

import importlib.util
import os
import py_compile
import sys
from pathlib import Path

import pytest

import pims

BENCH = Path(pims.__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))
NEEDS_LOCUST = {"locust_person_page"}


def test_bench_has_scripts():
    assert {"_support", "run_all", "bench_search"} <= {s.stem for s in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.stem)
def test_bench_script_imports(script: Path, monkeypatch):
    py_compile.compile(str(script), doraise=True)
    if script.stem in NEEDS_LOCUST and importlib.util.find_spec("locust") is None:
        return
    # The scripts find each other by file name (bench/ on sys.path) and put
    # the repository first; some set defaults in the environment: the path
    # and the environment are restored afterwards, the scripts' modules forgotten.
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])
    environ = dict(os.environ)
    try:
        spec = importlib.util.spec_from_file_location(script.stem, script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[script.stem] = module
        spec.loader.exec_module(module)
        if script.stem.startswith("bench_"):
            assert callable(getattr(module, "main", None)), f"{script.name} has no main()"
    finally:
        os.environ.clear()
        os.environ.update(environ)
        for name in [n for n, m in sys.modules.items() if _in_bench(m)]:
            del sys.modules[name]


def _in_bench(module) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().parent == BENCH
