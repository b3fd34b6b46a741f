"""Parallel apply: configs to 50 emulated nodes at once, 200 ms of latency on every call they serve.

    python -m benchmarks.apply_parallel      target: wall(50 nodes) / wall(1 node) <= 1.5

Each apply is what `pulumi up` does per node: the maintenance probe (Disks), then ApplyConfiguration.
The nodes run in another process (`python -m tests.emulator`), as real nodes are other machines.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from components.talos.api import operations
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.clientconfig import read_talosconfig, talosconfig
from components.talos.documents import encode
from components.talos.generate import GenerateInput, generate_config
from components.talos.secrets import SecretsBundle
from components.talos.versions import Contract
from tests.emulator import loopback_addresses

LATENCY = 0.2
NODES = 50
RUNS = 3


def worker_config() -> tuple[bytes, Credentials]:
    bundle = SecretsBundle.generate(Contract(1, 13))
    gen = GenerateInput(cluster_name="bench", endpoint="https://127.0.77.1:6443", kubernetes_version="1.36.3",
                        secrets=bundle, contract=Contract(1, 13), install_disk="/dev/sda")
    entry = read_talosconfig(talosconfig(bundle, "bench", ["127.0.77.1"]), "talosconfig")
    return encode(generate_config(gen, "worker")).encode(), Credentials(entry["ca"], entry["crt"], entry["key"])


@contextmanager
def emulated_nodes(first: str, count: int) -> Iterator[list[str]]:
    """Nodes in a subprocess; they stay down after an apply (long install) so each run starts fresh."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--nodes", str(count), "--first-address", first,
         "--latency", str(LATENCY), "--install-seconds", "600"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for _ in range(count):
            if not process.stdout.readline().startswith("ready:"):
                raise SystemExit("the emulator did not start")
        yield loopback_addresses(first, count)
    finally:
        process.terminate()
        process.wait(10)


def timed_apply(addresses: list[str], config: bytes, credentials: Credentials) -> float:
    async def everything() -> None:
        await asyncio.gather(*(operations.apply(Target(a), config, credentials, deadline=60) for a in addresses))

    started = time.perf_counter()
    asyncio.run(everything())
    return time.perf_counter() - started


def median_wall(count: int, subnet: str, config: bytes, credentials: Credentials) -> float:
    times = []
    for run in range(RUNS):
        with emulated_nodes(f"{subnet}.{run * 60 + 1}", count) as addresses:
            times.append(timed_apply(addresses, config, credentials))
    return statistics.median(times)


def main() -> None:
    config, credentials = worker_config()
    one = median_wall(1, "127.0.78", config, credentials)
    many = median_wall(NODES, "127.0.79", config, credentials)
    print(f"apply to 1 node:    {one:.3f} s (median of {RUNS}; probe + apply, {LATENCY * 1000:.0f} ms latency each)")
    print(f"apply to {NODES} nodes:  {many:.3f} s (median of {RUNS})")
    print(f"ratio:              {many / one:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
