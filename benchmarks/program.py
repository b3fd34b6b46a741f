"""The cross-region program under mocks, in a fresh interpreter, imports included: what every `pulumi
preview` pays before the engine sees a resource.

    python -m benchmarks.program      target: < 1.0 s wall (median of 5 runs)

The secrets bundle comes from "state" (generated before timing), as it does on every run but the first.
The child mirrors __main__.py and components.program.main(): imports with the collector off, freeze them
out of its reach, build.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUNS = 5
CHILD = r"""
import json, sys, time
started = time.perf_counter()
marks = {}
def mark(name, since=[started]):
    now = time.perf_counter(); marks[name] = now - since[0]; since[0] = now
import pulumi; mark("pulumi")
import gc; gc.disable()  # as __main__.py does; Pulumi's language host has imported pulumi before it runs
import pulumi_proxmoxve; mark("pulumi_proxmoxve")
import ediri_vultr; mark("ediri_vultr")
import pulumi_kubernetes.helm.v3; mark("pulumi_kubernetes.helm.v3")
import components.program; mark("components")
from tests.stacks import CloudOutputs, stack_config, TEST_SECRETS
from tests.engine import run_program
mark("mock harness (not in a real run)")
components.program.freeze_imports()  # as components.program.main() does
outputs = CloudOutputs(); outputs.bundle = {"bundle": sys.stdin.read()}
config = {**stack_config("cross-region"), **TEST_SECRETS}
run = run_program(components.program.build, outputs, stack="cross-region", config=config,
                  secret_keys=list(TEST_SECRETS))
mark("program run")
assert len(run.registrations) > 30
print(json.dumps({"marks": marks, "total": time.perf_counter() - started, "resources": len(run.registrations)}))
"""


def main() -> None:
    from components.talos.secrets import SecretsBundle
    from components.talos.versions import parse_contract

    bundle = SecretsBundle.generate(parse_contract("v1.13")).to_yaml()
    results = []
    walls = []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD], input=bundle, capture_output=True, text=True,
                              cwd=ROOT, check=True)
        walls.append(time.perf_counter() - started)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median_run = sorted(results, key=lambda r: r["total"])[RUNS // 2]
    print(f"cross-region program under mocks, fresh interpreter: median wall {statistics.median(walls):.2f} s "
          f"(min {min(walls):.2f}, max {max(walls):.2f}; {median_run['resources']} resources; target < 1.0 s)")
    for name, seconds in median_run["marks"].items():
        print(f"  {name:34} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
