"""`pulumi preview` and `pulumi up` of a new cluster, each through ONE provider host, against emulated nodes.

    python -m benchmarks.preview_and_up      sizes 3+2, 3+20, 3+97 (issue 10's report)

The engine starts one `python -m pulumi.dynamic` per deployment for every dynamic resource, and that host
serves on `grpc.server(ThreadPoolExecutor(max_workers=4))` (pulumi/dynamic/__main__.py main()): at most 4
provider calls run at once, the rest wait in gRPC's queue for a thread. The host here is that same host with
each served call timed (benchmarks/host_probe.py); the engine's side of every call (sent → answered) is timed
too, so the difference between the two is time spent waiting for one of the 4 threads.

Node delays are up_emulated's scaled ones (install + reboot in seconds, not minutes).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from tests.engine import Engine
from tests.provider_host import ProviderHost, host_command
from tests.talos_layer import run_with

from .up_emulated import INSTALL_SECONDS, REBOOT_SECONDS, emulated_cluster

HOST_THREADS = 4  # pulumi/dynamic/__main__.py main(): futures.ThreadPoolExecutor(max_workers=4)
SLOW_SECONDS = 180.0
SIZES = (("127.0.95", 3, 2), ("127.0.96", 3, 20), ("127.0.97", 3, 97))


@dataclass(frozen=True)
class Call:
    method: str
    resource: str
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class _Timing(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]  # grpc has no type stubs
    """The engine's side of each provider call: from the request sent to the reply received."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls

    def intercept_unary_unary(self, continuation: Callable[[Any, Any], Any], details: Any, request: Any) -> Any:
        started = time.monotonic()
        outcome = continuation(details, request)  # a blocking stub call: complete when it returns
        method = details.method.rsplit("/", 1)[-1]
        if method != "Configure":
            self.calls.append(Call(method, request.urn.rsplit("::", 1)[-1], started, time.monotonic()))
        return outcome


class ProbedHost(ProviderHost):
    """The SDK's host with its served calls logged (host side) and the engine's calls timed (engine side)."""

    def __init__(self, log: Path) -> None:
        super().__init__(env={"TALOS_BENCH_CALLS": str(log)})
        self.log = log
        self.sent: list[Call] = []

    def __enter__(self) -> ProbedHost:
        super().__enter__()
        return self

    def command(self) -> list[str]:
        return [*host_command()[:-2], "-m", "benchmarks.host_probe"]

    def start(self) -> None:
        super().start()
        self.stub = type(self.stub)(grpc.intercept_channel(self.channel, _Timing(self.sent)))

    def served(self) -> list[Call]:
        calls = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            method, resource, started, ended = line.split()
            calls.append(Call(method, resource, float(started), float(ended)))
        return calls


@dataclass(frozen=True)
class Overlap:
    most: int  # the most calls in flight at any moment
    at_most: float  # seconds with that many in flight
    at_threads: float  # seconds with HOST_THREADS or more in flight


def overlap(calls: Sequence[Call]) -> Overlap:
    events = sorted([(c.started, 1) for c in calls] + [(c.ended, -1) for c in calls], key=lambda e: (e[0], e[1]))
    level, most, previous = 0, 0, 0.0
    seconds: dict[int, float] = {}
    for moment, change in events:
        if level:
            seconds[level] = seconds.get(level, 0.0) + moment - previous
        level, previous = level + change, moment
        most = max(most, level)
    return Overlap(most, seconds.get(most, 0.0), sum(s for n, s in seconds.items() if n >= HOST_THREADS))


@dataclass(frozen=True)
class Deployment:
    wall: float
    served: list[Call]  # host side: while a call held one of the host's threads
    sent: list[Call]  # engine side: from sent to answered
    nodes_contacted: int


def deploy(subnet: str, control_planes: int, workers: int, operation: str) -> Deployment:
    """One `preview` or `up` of a new cluster (empty state), on its own host, against fresh nodes."""
    with tempfile.TemporaryDirectory() as scratch, \
            emulated_cluster(subnet, control_planes, workers) as (definition, nodes), \
            ProbedHost(Path(scratch) / "calls") as host:
        engine = Engine(host)
        run = engine.preview if operation == "preview" else engine.up
        started = time.perf_counter()
        result = run(run_with(engine, definition))
        wall = time.perf_counter() - started
        host.close()  # the log is complete once the host has stopped
        assert set(result.values()) == {"create"}, result
        return Deployment(wall, host.served(), list(host.sent), len(nodes.calls))


def report(label: str, wall_single: float, preview: Deployment, up: Deployment) -> None:
    host, sent = overlap(up.served), overlap(up.sent)
    waiting = sum(c.seconds for c in up.sent) - sum(c.seconds for c in up.served)
    longest = sorted(up.served, key=lambda c: c.seconds, reverse=True)[:3]
    print(f"{label}:")
    print(f"  preview: {preview.wall:7.2f} s   {len(preview.served)} calls "
          f"({', '.join(sorted({c.method for c in preview.served}))}), max {overlap(preview.served).most} at once "
          f"in the host, {preview.nodes_contacted} node calls")
    print(f"  up:      {up.wall:7.2f} s   ratio {up.wall / wall_single:.2f} against a 1-node up")
    print(f"  max concurrent provider calls: {host.most} in the host (of {HOST_THREADS} threads), "
          f"{sent.most} sent and unanswered")
    print(f"  time with {HOST_THREADS} calls in flight in the host: {host.at_threads:.2f} s of {up.wall:.2f} s; "
          f"{len(up.served)} calls held a thread {sum(c.seconds for c in up.served):.2f} s in all, "
          f"waited for one {max(waiting, 0.0):.2f} s in all")
    print("  longest calls: " + ", ".join(f"{c.method} {c.resource} {c.seconds:.2f} s" for c in longest))
    first, hold = min(c.started for c in up.served), longest[0]
    others = max(c.ended for c in up.served if c is not hold and c.started < hold.ended)
    print(f"  while {hold.method} {hold.resource} held a thread ({hold.started - first:.2f}-"
          f"{hold.ended - first:.2f} s), the calls that overlapped it were answered by {others - first:.2f} s")


def main() -> None:
    print(f"install {INSTALL_SECONDS:g} s + reboot {REBOOT_SECONDS:g} s per node (scaled down from minutes); "
          f"one provider host per deployment, {HOST_THREADS} worker threads")
    single = deploy("127.0.94", 1, 0, "up")
    print(f"1 node up: {single.wall:.2f} s")
    for subnet, control_planes, workers in SIZES:
        preview = deploy(subnet, control_planes, workers, "preview")
        up = deploy(subnet, control_planes, workers, "up")
        report(f"{control_planes} + {workers} nodes", single.wall, preview, up)
        if up.wall > SLOW_SECONDS:
            print(f"  (the up took more than {SLOW_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
