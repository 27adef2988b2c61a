"""Run every bench/bench_*.py script in turn (`make bench`).

Each benchmark is a standalone script that prints its figures and ratios and
exits non-zero on failure; results are copied into docs/BENCHMARKS.md by hand.
BENCH_SCALE (default 1.0) scales the data sizes: each script reads it itself;
this runner only passes it on and shows it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scale() -> float:
    raw = os.environ.get("BENCH_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        sys.exit(f"BENCH_SCALE must be a number, not {raw!r}")
    if value <= 0:
        sys.exit(f"BENCH_SCALE must be positive, not {raw!r}")
    return value


def main(argv: list[str]) -> int:
    factor = scale()
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:  # `run_all.py households` runs bench_households*.py only
        scripts = [s for s in scripts if any(s.stem.removeprefix("bench_").startswith(a) for a in argv)]
    if not scripts:
        print("no benchmarks yet")
        return 0
    env = os.environ | {"BENCH_SCALE": repr(factor)}
    failed = []
    for script in scripts:
        print(f"== {script.name} (BENCH_SCALE={factor})", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, env=env)
        print(f"-- {script.name}: exit {result.returncode} in {time.perf_counter() - started:.1f}s", flush=True)
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
