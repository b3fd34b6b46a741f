"""The emulator's --journal: one JSON line per node event, with the node's versions after it."""

from __future__ import annotations

import asyncio
import json

from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.operations import Target

from .emulated import emulate, example_definition, fresh_subnet, render
from .kube_support import bootstrapped


def test_the_journal_records_apply_reboot_etcd_upgrade_and_reset_with_versions(tmp_path):
    cluster = render(example_definition("dev", fresh_subnet()))
    journal = tmp_path / "journal.jsonl"
    first, worker = cluster.control_planes[0], cluster.workers[0]
    with emulate(cluster, journal=str(journal)) as emulated:
        bootstrapped(cluster, emulated)
        asyncio.run(operations.upgrade(Target(worker), "factory.talos.dev/installer/abc:v1.13.10",
                                       cluster.credentials, deadline=20))

        async def reset() -> None:
            async with TalosClient(worker, cluster.credentials) as client:
                await calls.reset(client, graceful=False, reboot=True, node=worker)

        asyncio.run(reset())
        emulated.wait_for(worker, "maintenance")
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert all(set(e) == {"t", "node", "event", "versions"} for e in events)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    of_worker = [e["event"] for e in events if e["node"] == worker]
    assert of_worker[:3] == ["apply", "reboot-start", "reboot-end"]
    assert of_worker[-7:] == ["upgrade", "drain", "reboot-start", "reboot-end", "reset", "reboot-start", "reboot-end"]
    join = next(e for e in events if e["event"] == "etcd-join")
    assert join["node"] == first
    assert join["versions"] == {"talos": "v1.13.9", "kubelet": "v1.36.3", "apiserver": "v1.36.3"}
    upgraded = next(i for i, e in enumerate(events) if e["event"] == "upgrade")
    assert events[upgraded]["versions"]["talos"] == "v1.13.9"  # requested; the install runs on the reboot
    rebooted = next(e for e in events[upgraded:] if e["event"] == "reboot-end" and e["node"] == worker)
    assert rebooted["versions"] == {"talos": "v1.13.10", "kubelet": "v1.36.3", "apiserver": None}
    wiped = next(e for e in events if e["event"] == "reset")
    assert wiped["versions"] == {"talos": "v1.13.10", "kubelet": None, "apiserver": None}
