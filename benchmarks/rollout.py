"""A Talos upgrade (v1.13.9 -> v1.13.10) of 3 + 20 emulated nodes through the SDK's provider host, at worker
batch 1 and 4, against the physical limit of its rollout order:

    python -m benchmarks.rollout      target: wall(upgrade up) / limit <= 1.15

limit = control planes x node time + ceil(workers / batch) x node time, where node time is what one node's
upgrade takes in the emulator, read from the run's own journal: the median, over the nodes, of the time from
the node's `upgrade` event to its last `reboot-end` (the reboot into the new version, plus a second reboot
if the config apply asked for one). Nodes reboot in REBOOT_SECONDS as benchmarks.up_emulated scales them.
Each run's emulator journal (one JSON line per node event) is kept in a temporary directory, printed.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.up_emulated import INSTALL_SECONDS, REBOOT_SECONDS, definition_text, emulated_cluster
from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition
from components.talos.rollout import CONTROL_PLANE, waves
from tests.engine import Engine
from tests.provider_host import ProviderHost
from tests.talos_layer import FAST, run_with

CONTROL_PLANES, WORKERS = 3, 20
OLD, NEW = "v1.13.9", "v1.13.10"
TARGET = 1.15


@dataclass(frozen=True)
class Event:
    t: float
    node: str
    event: str


@dataclass(frozen=True)
class Run:
    definition: ClusterDefinition
    batch: int
    wall: float  # seconds of the upgrade's `up`, measured here
    began: float  # the upgrade's `up` on the journal's clock
    ended: float
    events: list[Event]  # the journal's events from `began` on


def upgrade_run(subnet: str, batch: int, journal: Path) -> Run:
    text = definition_text(subnet, CONTROL_PLANES, WORKERS)
    newer = load.parse_definition(text.replace(f"talosVersion: {OLD}", f"talosVersion: {NEW}"), "bench.yaml",
                                  environ={})
    options = replace(FAST, worker_batch=batch)
    with emulated_cluster(subnet, CONTROL_PLANES, WORKERS, str(journal)) as (definition, nodes), \
            ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, definition, options))
        began = nodes.journal_time()
        started = time.perf_counter()
        result = engine.up(run_with(engine, newer, options))
        wall = time.perf_counter() - started
        ended = nodes.journal_time()
        versions = {node.version for node in nodes.nodes.values()}
    assert versions == {NEW}, versions
    assert "update" in result.values(), result
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    events = [Event(e["t"], e["node"], e["event"]) for e in lines if e["t"] >= began]
    return Run(newer, batch, wall, began, ended, events)


def node_times(events: list[Event]) -> dict[str, float]:
    """Per node: from its `upgrade` event to its last `reboot-end`."""
    upgraded = {e.node: e.t for e in events if e.event == "upgrade"}
    last_up = {e.node: e.t for e in events if e.event == "reboot-end"}  # events are in time order
    return {node: last_up[node] - t for node, t in upgraded.items()}


def most_rebooting(events: list[Event], addresses: Iterable[str]) -> int:
    """The most of `addresses` between a reboot-start and its reboot-end at any one moment."""
    wanted, down, most = set(addresses), set(), 0
    for event in events:
        if event.node in wanted and event.event == "reboot-start":
            down.add(event.node)
            most = max(most, len(down))
        elif event.event == "reboot-end":
            down.discard(event.node)
    return most


def report(run: Run) -> None:
    address = {node.hostname: node.ip_address or "" for node in run.definition.nodes}
    control_planes = [address[node.hostname] for node in run.definition.control_planes]
    workers = [address[node.hostname] for node in run.definition.workers]
    per_node = node_times(run.events)
    node_time = statistics.median(per_node.values())
    limit = len(control_planes) * node_time + math.ceil(len(workers) / run.batch) * node_time
    ratio = run.wall / limit
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"batch {run.batch}: upgrade up {run.wall:6.2f} s   node time {node_time:.2f} s (median of {len(per_node)}; "
          f"{min(per_node.values()):.2f}..{max(per_node.values()):.2f})   limit {limit:6.2f} s   "
          f"ratio {ratio:.2f} ({verdict} target <= {TARGET})")
    print(f"  rebooting at once: {most_rebooting(run.events, control_planes)} control plane(s), "
          f"{most_rebooting(run.events, workers)} worker(s)")
    print(f"  events per node: {', '.join(e.event for e in run.events if e.node == workers[0])}  ({workers[0]})")
    print("  wave (s since the up began, journal clock)  first  down-end  settled | span  end->settled  gap before")
    previous = 0.0
    lead_in, spans, settling, gaps = 0.0, [], [], []
    for index, wave in enumerate(waves(((n.hostname, n.role) for n in run.definition.nodes), run.batch)):
        members = {address[hostname] for hostname in wave.hostnames}
        mine = [e.t - run.began for e in run.events if e.node in members]
        first, settled = mine[0], mine[-1]  # its first event (upgrade) and last (the config apply after it)
        end = max(e.t for e in run.events if e.node in members and e.event == "reboot-end") - run.began
        if index == 0:
            lead_in = first
        else:
            gaps.append(first - previous)
        spans.append(end - first)
        settling.append(settled - end)
        name = wave.hostnames[0] + (f"..{wave.hostnames[-1][-2:]}" if len(wave.hostnames) > 1 else "")
        role = "cp" if wave.role == CONTROL_PLANE else "w "
        print(f"  {role} {name:<39} {first:6.2f}    {end:6.2f}   {settled:6.2f} | {end - first:4.2f}  "
              f"{settled - end:12.2f}  {first - previous:10.2f}")
        previous = settled
    tail = run.ended - run.began - previous
    print(f"  time: lead-in {lead_in:.2f} s + upgrade to down-end {sum(spans):.2f} s + down-end to settled "
          f"{sum(settling):.2f} s (median {statistics.median(settling):.2f}) + settled to the next wave "
          f"{sum(gaps):.2f} s (median {statistics.median(gaps):.2f}) + after the last wave {tail:.2f} s "
          f"= {run.ended - run.began:.2f} s")


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="rollout-"))
    print(f"Talos {OLD} -> {NEW} on {CONTROL_PLANES} + {WORKERS} emulated nodes; reboot {REBOOT_SECONDS:g} s "
          f"(install {INSTALL_SECONDS:g} s, first boot only); journals in {directory}")
    for subnet, batch in (("127.0.94", 1), ("127.0.95", 4)):
        journal = directory / f"batch-{batch}.jsonl"
        run = upgrade_run(subnet, batch, journal)
        print(f"journal: {journal}")
        report(run)


if __name__ == "__main__":
    main()
