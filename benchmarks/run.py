"""`make bench`: run every benchmarks/bench_*.py module's main(), in name order.

    .venv/bin/python benchmarks/run.py                 # all modules, 1 thread
    .venv/bin/python benchmarks/run.py engine          # only bench_engine.py
    .venv/bin/python benchmarks/run.py --threads 2     # numpy's BLAS and torch both on 2 threads
    .venv/bin/python benchmarks/run.py --quick         # fewer repetitions (a smoke run)

The thread count has to reach OpenBLAS before numpy is first imported, so this file sets the
environment first and imports nothing numerical itself. Modules read the settings from
UNROLLED_BENCH_THREADS and UNROLLED_BENCH_QUICK.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _set_threads(n: int) -> None:
    """Every BLAS / OpenMP pool this process may load gets n threads."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)
    os.environ["UNROLLED_BENCH_THREADS"] = str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="run only these modules (e.g. 'engine' for bench_engine.py)")
    parser.add_argument("--threads", type=int, default=1, help="threads for numpy's BLAS and for torch (default 1)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    _set_threads(args.threads)
    if args.quick:
        os.environ["UNROLLED_BENCH_QUICK"] = "1"
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))

    modules = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in args.only}
        modules = [m for m in modules if m.stem.removeprefix("bench_") in wanted]
        missing = wanted - {m.stem.removeprefix("bench_") for m in modules}
        if missing:
            parser.error(f"no benchmarks/bench_<name>.py for: {', '.join(sorted(missing))}")
    failed = []
    for path in modules:
        print(f"=== {path.name} ===", flush=True)
        start = time.perf_counter()
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others
            import traceback

            traceback.print_exc()
            failed.append(f"{path.name}: {type(exc).__name__}: {exc}")
        print(f"({path.name} took {time.perf_counter() - start:.1f} s)\n", flush=True)
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
