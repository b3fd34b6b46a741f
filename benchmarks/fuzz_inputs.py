"""The full input fuzz of issue 15: 2,000 definitions, 600 secrets files, 400 stack settings; and of issue 20:
hostile files (tests/fuzzing_files.py: 600 SOPS files, 1,500 templates, 600 file-name templates, 300 patch
files) and 1,000 replies of a hostile Talos node and 1,000 of a hostile Kubernetes API (tests/fuzzing_peers.py).
target < 120 s

    python -m benchmarks.fuzz_inputs [SEED]

Prints the cases per class, how many were accepted and refused, how many known-invalid mutants were
refused out of how many, and every failure (a traceback, a hang, an accepted invalid input, an error line
that does not name its place). Exits non-zero on any failure.
"""

from __future__ import annotations

import sys
import time

from tests.fuzzing import run_all
from tests.fuzzing_files import run_hostile_files
from tests.fuzzing_peers import run_peers


def main() -> int:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    start = time.perf_counter()
    tally = run_all(2000, 600, 400, seed=seed)
    slowest: dict[str, tuple[float, str]] = {}
    run_hostile_files(600, 1500, 600, 300, seed=seed, tally=tally, slowest=slowest)
    elapsed = time.perf_counter() - start
    print("\n".join(tally.rows()))
    print(f"seed {seed}: {sum(tally.cases.values())} cases in {elapsed:.1f} s, slowest case {tally.slowest:.2f} s, "
          f"{len(tally.failures)} failures")
    for kind, (seconds, label) in sorted(slowest.items()):
        print(f"  slowest {kind} case: {seconds:.2f} s ({label})")
    for failure in tally.failures:
        print(f"  {failure}")
    peers = run_peers(1000, 1000, seed=seed)
    print("\n".join(peers.rows()))
    for failure in peers.failures:
        print(f"  {failure}")
    return 1 if tally.failures or peers.failures else 0


if __name__ == "__main__":
    sys.exit(main())
