"""etcd snapshot and restore on an emulated 3-control-plane cluster, and how a snapshot grows with its objects:

    python -m benchmarks.etcd_snapshot

For each object count: that many ConfigMaps (1 KiB of data each) are put into the cluster's etcd, a snapshot
is streamed through the Talos API into a file (as `pulumi up` and `etcd snapshot` take it), every control plane's
etcd is wiped (`reset --system-labels-to-wipe EPHEMERAL`), and the snapshot is restored on the first one
(EtcdRecover, Bootstrap with recover_etcd, waiting until etcd runs). Times are wall seconds on this machine;
sizes are the emulator's database, a JSON key space in 4 KiB pages (not bbolt's layout, so only the growth per
object means anything), plus etcd's 32-byte sha256 trailer.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.up_emulated import definition_text
from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.api.etcd import bootstrap_from, snapshot_from_healthy
from components.talos.api.operations import Target
from components.talos.backups.snapshot import partial_file
from tests.emulated import RenderedCluster, emulate, render
from tests.emulator import EmulatedCluster
from tests.kube_support import bootstrapped

COUNTS = (0, 100, 1000, 10000)
VALUE = "x" * 1024


def put_objects(emulated: EmulatedCluster, count: int) -> None:
    async def put() -> None:
        objects = emulated.kubernetes.objects
        objects.clear()
        for index in range(count):
            name = f"bench-{index:05d}"
            objects[f"/api/v1/namespaces/default/configmaps/{name}"] = {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
                "data": {"value": VALUE}}
        emulated.etcd_data().written()

    emulated.run(put())


def object_count(emulated: EmulatedCluster) -> int:
    async def count() -> int:
        return len(emulated.kubernetes.objects)

    return emulated.run(count())


def wipe_etcd(cluster: RenderedCluster, emulated: EmulatedCluster) -> None:
    async def reset(address: str) -> None:
        async with TalosClient(address, cluster.credentials) as client:
            await calls.reset(client, graceful=False, reboot=True, node=address, labels=["EPHEMERAL"])

    for address in cluster.control_planes:
        asyncio.run(reset(address))
    for address in cluster.control_planes:
        emulated.wait_for(address, "running")


def cycle(cluster: RenderedCluster, emulated: EmulatedCluster, count: int, folder: Path) -> tuple[int, float, float]:
    put_objects(emulated, count)
    path = folder / f"{count}.snap"
    targets = [Target(address) for address in cluster.control_planes]
    started = time.perf_counter()
    with partial_file(path) as stream:
        asyncio.run(snapshot_from_healthy(targets, cluster.credentials, stream.write, deadline=120))
    snapshot_seconds = time.perf_counter() - started
    wipe_etcd(cluster, emulated)
    started = time.perf_counter()
    asyncio.run(bootstrap_from(targets[0], cluster.credentials, path, skip_hash_check=False, deadline=120))
    restore_seconds = time.perf_counter() - started
    assert object_count(emulated) == count, "the restore lost objects"
    return path.stat().st_size, snapshot_seconds, restore_seconds


def main() -> None:
    cluster = render(definition_text("127.0.94", 3, 0))
    print("3 emulated control planes; ConfigMaps of 1 KiB each")
    print(f"{'objects':>8} {'snapshot bytes':>15} {'bytes/object':>13} {'snapshot s':>11} {'restore s':>10}")
    with tempfile.TemporaryDirectory() as folder, emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        base = 0
        for count in COUNTS:
            size, snapshot_seconds, restore_seconds = cycle(cluster, emulated, count, Path(folder))
            base = base or size
            per_object = f"{(size - base) / count:13.0f}" if count else f"{'-':>13}"
            print(f"{count:8d} {size:15d} {per_object} {snapshot_seconds:11.3f} {restore_seconds:10.3f}")


if __name__ == "__main__":
    main()
