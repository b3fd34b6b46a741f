"""`pulumi up` of a new cluster through the SDK's provider host against emulated nodes.

    python -m benchmarks.up_emulated      target: wall(3 + 20) / wall(1 node) <= 1.2

Nodes take INSTALL_SECONDS to install and REBOOT_SECONDS to reboot after the first apply: real Talos
takes minutes; the figures here are scaled down so the benchmark runs in about a minute, and what is
measured is how well the Talos layer overlaps the nodes, not the delays themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition
from tests.emulated import render
from tests.emulator import EmulatedCluster, loopback_addresses
from tests.engine import Engine
from tests.provider_host import ProviderHost
from tests.talos_layer import run_with

INSTALL_SECONDS = 4.0
REBOOT_SECONDS = 2.0


def definition_text(subnet: str, control_planes: int, workers: int) -> str:
    addresses = loopback_addresses(f"{subnet}.1", control_planes + workers)
    lines = ["clusterName: bench", "talosVersion: v1.13.9", "kubernetesVersion: v1.36.3",
             f"endpoint: https://{addresses[0]}:6443", "nodes:"]
    for index, address in enumerate(addresses):
        role = "controlplane" if index < control_planes else "worker"
        lines += [f"  - hostname: {role}-{index + 1:02d}", f"    ipAddress: {address}",
                  f"    controlPlane: {str(index < control_planes).lower()}", "    installDisk: /dev/sda"]
    return "\n".join(lines) + "\n"


@contextmanager
def emulated_cluster(subnet: str, control_planes: int, workers: int,
                     journal: str | None = None) -> Iterator[tuple[ClusterDefinition, EmulatedCluster]]:
    """The bench definition and its nodes, emulated with the scaled install and reboot times (and the
    emulator's journal appended to `journal`, if given)."""
    text = definition_text(subnet, control_planes, workers)
    definition = load.parse_definition(text, "bench.yaml", environ={})
    with EmulatedCluster(render(text).addresses, install_seconds=INSTALL_SECONDS,
                         reboot_seconds=REBOOT_SECONDS, journal=journal) as nodes:
        yield definition, nodes


def timed_up(subnet: str, control_planes: int, workers: int) -> float:
    with emulated_cluster(subnet, control_planes, workers) as (definition, _), ProviderHost() as host:
        engine = Engine(host)
        started = time.perf_counter()
        result = engine.up(run_with(engine, definition))
        elapsed = time.perf_counter() - started
    assert set(result.values()) == {"create"}, result
    return elapsed


def main() -> None:
    print(f"install {INSTALL_SECONDS:g} s + reboot {REBOOT_SECONDS:g} s per node (scaled down from minutes)")
    single = timed_up("127.0.91", 1, 0)
    print(f"1 node:      {single:6.2f} s")
    for subnet, control_planes, workers in (("127.0.92", 3, 2), ("127.0.93", 3, 20)):
        wall = timed_up(subnet, control_planes, workers)
        print(f"{control_planes} + {workers:<2} nodes: {wall:6.2f} s   ratio {wall / single:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
