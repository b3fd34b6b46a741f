"""Talos's disaster recovery with this CLI's talosctl verbs, on emulated nodes: `etcd snapshot` as talosctl
writes it, objects lost with every control plane's etcd, and what Talos refuses refused (the restore itself:
test_disaster_recovery_runbook.py runs the README's steps)."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from grpclib.const import Status

from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.api.errors import TalosAPIError
from components.talos.api.etcd import EtcdError, snapshot_from_healthy, wait_etcd_started
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.cli import main

from .emulated import RenderedCluster, emulate, fresh_subnet, render
from .emulator import EmulatedCluster
from .kube_support import bootstrapped, kube_client

DEFINITION = """clusterName: recovery
talosVersion: v1.13.9
kubernetesVersion: v1.36.3
endpoint: https://{subnet}.1:6443
nodes:
  - hostname: cp-1
    ipAddress: {subnet}.1
    controlPlane: true
    installDisk: /dev/sda
  - hostname: cp-2
    ipAddress: {subnet}.2
    controlPlane: true
    installDisk: /dev/sda
  - hostname: worker-1
    ipAddress: {subnet}.3
    controlPlane: false
    installDisk: /dev/sda
"""
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep-me", "namespace": "default"},
              "data": {"answer": "42"}}


def _config_map(cluster: RenderedCluster, address: str) -> dict[str, Any] | None:
    return asyncio.run(kube_client(cluster, address).get(CONFIG_MAP))


def _api_up(emulated: EmulatedCluster) -> bool:
    async def available() -> bool:
        return emulated.kubernetes.api_available()

    return emulated.run(available())


def _wait(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def recovery(tmp_path):
    cluster = render(DEFINITION.format(subnet=fresh_subnet()))
    talosconfig = tmp_path / "talosconfig"
    talosconfig.write_text(cluster.talosconfig)
    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        asyncio.run(kube_client(cluster).apply(CONFIG_MAP))
        yield cluster, emulated, ["--talosconfig", str(talosconfig)]


def _wipe_every_control_plane(cluster: RenderedCluster, emulated: EmulatedCluster, secure: list[str]) -> None:
    for address in cluster.control_planes:
        assert main(["reset", *secure, "-e", address, "-n", address, "--graceful=false", "--reboot",
                     "--system-labels-to-wipe", "EPHEMERAL"]) == 0
    for address in cluster.control_planes:
        emulated.wait_for(address, "running")


def test_a_snapshot_is_written_as_talosctl_writes_it(recovery, tmp_path, capsys):
    cluster, _, secure = recovery
    first = cluster.control_planes[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", first, "-n", first]) == 0
    assert f'etcd snapshot saved to "{snapshot}" ({snapshot.stat().st_size} bytes)' in capsys.readouterr().out
    assert snapshot.stat().st_mode & 0o777 == 0o600 and not Path(f"{snapshot}.part").exists()
    assert snapshot.stat().st_size % 512 == 32  # etcd's sha256 trailer


def test_without_a_snapshot_every_control_plane_wiped_loses_the_objects(recovery):
    cluster, emulated, secure = recovery
    _wipe_every_control_plane(cluster, emulated, secure)
    assert main(["bootstrap", *secure, "-e", cluster.control_planes[0], "-n", cluster.control_planes[0]]) == 0
    _wait(lambda: _api_up(emulated), "no API server after the bootstrap")
    assert _config_map(cluster, cluster.control_planes[0]) is None


def test_a_damaged_snapshot_is_refused_before_anything_is_uploaded(recovery, tmp_path, capsys):
    cluster, emulated, secure = recovery
    first = cluster.control_planes[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", first, "-n", first]) == 0
    data = bytearray(snapshot.read_bytes())
    data[-100] ^= 0xFF  # inside the page padding: the database still opens, only the hash tells
    snapshot.write_bytes(bytes(data))
    _wipe_every_control_plane(cluster, emulated, secure)
    capsys.readouterr()
    calls_before = len(emulated.calls_to("EtcdRecover"))
    assert main(["bootstrap", *secure, "-e", first, "-n", first, "--recover-from", str(snapshot)]) == 1
    error = capsys.readouterr().err
    assert f"snapshot {snapshot}: expected sha256" in error and "damaged" in error
    assert len(emulated.calls_to("EtcdRecover")) == calls_before
    # --recover-skip-hash-check restores it anyway (the padding is no data)
    assert main(["bootstrap", *secure, "-e", first, "-n", first, "--recover-from", str(snapshot),
                 "--recover-skip-hash-check"]) == 0
    _wait(lambda: _api_up(emulated), "no API server after the restore")
    assert _config_map(cluster, first) is not None


def test_recovering_onto_a_running_etcd_is_refused_naming_the_node_and_the_wipe(recovery, tmp_path, capsys):
    cluster, _, secure = recovery
    first = cluster.control_planes[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", first, "-n", first]) == 0
    capsys.readouterr()
    assert main(["bootstrap", *secure, "-e", first, "-n", first, "--recover-from", str(snapshot)]) == 1
    error = capsys.readouterr().err
    assert f"{first}: etcd data directory is not empty" in error
    assert "--system-labels-to-wipe EPHEMERAL" in error


def test_a_snapshot_from_a_worker_is_refused_as_talos_refuses_it(recovery, tmp_path, capsys):
    cluster, _, secure = recovery
    worker = cluster.workers[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", cluster.control_planes[0], "-n", worker]) == 1
    assert "etcd snapshot is only available on control plane nodes" in capsys.readouterr().err
    assert not snapshot.exists() and not Path(f"{snapshot}.part").exists()


def test_reset_refuses_an_etcd_volume_wiped_without_the_ephemeral_it_lives_in_on_v1_14(tmp_path, capsys):
    cluster = render(DEFINITION.format(subnet=fresh_subnet()))
    talosconfig = tmp_path / "talosconfig"
    talosconfig.write_text(cluster.talosconfig)
    first = cluster.control_planes[0]
    with emulate(cluster, version="v1.14.0") as emulated:  # nodes upgraded to v1.14, their configs unchanged
        bootstrapped(cluster, emulated)
        assert main(["reset", "--talosconfig", str(talosconfig), "-e", first, "-n", first,
                     "--system-labels-to-wipe", "ETCD"]) == 1
        assert 'volume "ETCD" resides on volume "EPHEMERAL"' in capsys.readouterr().err
        assert emulated.node(first).etcd_data


def _client_with(cluster: RenderedCluster, roles: list[str]) -> Credentials:
    from components.talos.clientconfig import talos_client_certificate

    client = talos_client_certificate(cluster.bundle, roles)
    return Credentials(cluster.bundle.os.crt, client.crt_pem, client.key_pem)


def test_a_snapshot_needs_the_etcd_backup_role_and_a_reader_alone_is_refused(recovery):
    cluster, _, _ = recovery
    first = cluster.control_planes[0]

    async def snapshot(roles: list[str]) -> int:
        async with TalosClient(first, _client_with(cluster, roles)) as client:
            return await calls.etcd_snapshot(client, lambda _chunk: None, node=first)

    assert asyncio.run(snapshot(["os:etcd:backup"])) % 512 == 32
    with pytest.raises(TalosAPIError) as refused:
        asyncio.run(snapshot(["os:reader"]))
    assert refused.value.status == Status.PERMISSION_DENIED


def test_the_snapshot_stream_is_written_chunk_by_chunk_and_cut_off_past_its_limit(recovery):
    cluster, _, _ = recovery
    first = cluster.control_planes[0]
    chunks: list[int] = []

    async def snapshot(limit: int) -> int:
        async with TalosClient(first, cluster.credentials) as client:
            return await calls.etcd_snapshot(client, lambda chunk: chunks.append(len(chunk)), node=first, limit=limit)

    size = asyncio.run(snapshot(10 * 1024 * 1024))
    assert len(chunks) > 1 and max(chunks) <= 1024 and sum(chunks) == size  # Talos's 1 KiB chunks, as they come
    chunks.clear()
    with pytest.raises(TalosAPIError, match="sent more than 2048 bytes; refused"):
        asyncio.run(snapshot(2048))
    assert sum(chunks) <= 2048


def test_with_every_control_planes_etcd_wiped_no_snapshot_is_taken_and_each_node_is_named(recovery):
    cluster, emulated, secure = recovery
    _wipe_every_control_plane(cluster, emulated, secure)
    targets = [Target(address) for address in cluster.control_planes]
    with pytest.raises(EtcdError) as failure:
        asyncio.run(snapshot_from_healthy(targets, cluster.credentials, lambda _chunk: None, deadline=10))
    assert all(f"{address}: etcd is preparing" in str(failure.value) for address in cluster.control_planes)


def test_talos_refuses_a_damaged_snapshot_only_through_the_etcd_service(recovery, tmp_path):
    cluster, emulated, secure = recovery
    first = cluster.control_planes[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", first, "-n", first]) == 0
    damaged = bytearray(snapshot.read_bytes())
    damaged[-100] ^= 0xFF
    _wipe_every_control_plane(cluster, emulated, secure)

    async def recover(upload: bytes | None) -> bool:
        async with TalosClient(first, cluster.credentials) as client:
            if upload is not None:
                await calls.etcd_recover(client, io.BytesIO(upload), node=first)
            return await calls.bootstrap(client, node=first, recover=True)

    assert asyncio.run(recover(None))  # accepted: etcd itself finds no snapshot
    with pytest.raises(EtcdError, match=r"error verifying snapshot: stat /var/lib/etcd\.snapshot: no such file"):
        asyncio.run(wait_etcd_started(Target(first), cluster.credentials, deadline=10))
    second = cluster.control_planes[1]

    async def recover_on_second(upload: bytes) -> bool:
        async with TalosClient(second, cluster.credentials) as client:
            await calls.etcd_recover(client, io.BytesIO(upload), node=second)
            return await calls.bootstrap(client, node=second, recover=True)

    assert asyncio.run(recover_on_second(bytes(damaged)))
    with pytest.raises(EtcdError) as failure:
        asyncio.run(wait_etcd_started(Target(second), cluster.credentials, deadline=10))
    assert "Failed to run pre stage: error recovering from the snapshot: expected sha256 [" in str(failure.value)
    assert "--system-labels-to-wipe EPHEMERAL" in str(failure.value)
    with pytest.raises(TalosAPIError) as again:  # etcdutl copied the database before it checked the hash
        asyncio.run(recover_on_second(snapshot.read_bytes()))
    assert again.value.status == Status.ALREADY_EXISTS


def test_a_snapshot_cannot_be_uploaded_to_a_worker(recovery, tmp_path, capsys):
    cluster, _, secure = recovery
    first, worker = cluster.control_planes[0], cluster.workers[0]
    snapshot = tmp_path / "db.snapshot"
    assert main(["etcd", "snapshot", str(snapshot), *secure, "-e", first, "-n", first]) == 0
    capsys.readouterr()
    assert main(["bootstrap", *secure, "-e", first, "-n", worker, "--recover-from", str(snapshot)]) == 1
    assert "etcd recover is only available on control plane nodes" in capsys.readouterr().err


def test_etcd_snapshot_takes_exactly_one_node(recovery, tmp_path, capsys):
    cluster, _, secure = recovery
    nodes = ",".join(cluster.control_planes)
    assert main(["etcd", "snapshot", str(tmp_path / "db"), *secure, "-e", cluster.control_planes[0], "-n", nodes]) == 1
    assert 'command "etcd snapshot" requires exactly one node (got 2)' in capsys.readouterr().err
