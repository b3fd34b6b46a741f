"""Cluster behaviour the providers rely on, through the client: apply modes on configured nodes, upgrades
per Talos version, etcd membership changes, KubeSpan peer status, and bootstrap before the CRI is up."""

from __future__ import annotations

import asyncio
import time

import pytest
from grpclib.const import Status

from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.errors import TalosAPIError
from components.talos.api.operations import Target
from components.talos.documents import decode, encode
from components.talos.patching import apply_patches, parse_patch

from .emulated import RenderedCluster, configure, emulate, example_definition, fresh_subnet, on_loopback, render
from .seed import seed_talconfig

INSTALL_DISK_CHANGE = "machine:\n  install:\n    disk: /dev/vdb\n"
ENV_CHANGE = "machine:\n  env:\n    http_proxy: http://proxy.lan:3128\n"  # not on CanApplyImmediate's list
LABEL_CHANGE = "machine:\n  nodeLabels:\n    rack: r2\n"


@pytest.fixture
def dev() -> RenderedCluster:
    return render(example_definition("dev", fresh_subnet()))


def patched(cluster: RenderedCluster, address: str, patch: str) -> bytes:
    return encode(apply_patches(decode(cluster.configs[address], address), [parse_patch(patch, "patch")])).encode()


async def apply(cluster: RenderedCluster, address: str, data: bytes, mode: str) -> calls.ApplyResult:
    async with TalosClient(address, cluster.credentials) as client:
        return await calls.apply_configuration(client, data, mode=mode, node=address)


def test_auto_mode_applies_live_changes_without_a_reboot(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        configure(dev)
        result = asyncio.run(apply(dev, node, patched(dev, node, LABEL_CHANGE), "auto"))
        assert (result.mode, result.details) == ("no-reboot", "Applied configuration without a reboot")
        assert emulated.node(node).listening


def test_auto_mode_reboots_for_a_change_talos_cannot_apply_in_place_and_no_reboot_mode_refuses_it(dev):
    node = dev.workers[0]
    with emulate(dev) as emulated:
        configure(dev)
        data = patched(dev, node, ENV_CHANGE)
        with pytest.raises(TalosAPIError) as refused:
            asyncio.run(apply(dev, node, data, "no-reboot"))
        assert refused.value.status == Status.INVALID_ARGUMENT
        assert refused.value.detail.startswith("this config change can't be applied in immediate mode")
        assert "machine.env" in refused.value.detail
        result = asyncio.run(apply(dev, node, data, "auto"))
        assert (result.mode, result.details) == ("reboot", "Applied configuration with a reboot")
        emulated.wait_for(node, "running")


def test_an_install_section_change_applies_in_place_before_v1_14_as_well(dev):
    node = dev.workers[0]
    with emulate(dev) as emulated:
        configure(dev)
        result = asyncio.run(apply(dev, node, patched(dev, node, INSTALL_DISK_CHANGE), "auto"))
        assert result.mode == "no-reboot"  # machine.install is on CanApplyImmediate's list since v1.6
        assert emulated.node(node).listening


def test_staged_mode_takes_effect_at_the_next_reboot(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        configure(dev)
        result = asyncio.run(apply(dev, node, patched(dev, node, INSTALL_DISK_CHANGE), "staged"))
        assert result.details == "Staged configuration to be applied after the next reboot"
        assert emulated.node(node).staged is not None

        async def reboot() -> None:
            async with TalosClient(node, dev.credentials) as client:
                await calls.reboot(client, node=node)

        asyncio.run(reboot())
        emulated.wait_for(node, "running")
        assert emulated.node(node).staged is None
        config = emulated.node(node).config
        assert config is not None and config.install_disk == "/dev/vdb"


@pytest.mark.parametrize("version, path", [("v1.12.11", "/machine.MachineService/Upgrade"),
                                           ("v1.13.9", "/machine.LifecycleService/Upgrade")])
def test_upgrade_uses_the_api_of_the_running_version_and_changes_the_reported_version(dev, version, path):
    node = dev.workers[0]
    with emulate(dev, version=version) as emulated:
        configure(dev)
        target = version.rsplit(".", 1)[0] + ".99"

        async def upgrade() -> str:
            async with TalosClient(node, dev.credentials) as client:
                return await calls.upgrade(client, f"factory.talos.dev/installer/abc:{target}", node=node)

        asyncio.run(upgrade())
        assert emulated.node(node).version == version  # the new version runs only after the reboot
        deadline = time.monotonic() + 10
        while emulated.node(node).version != target and time.monotonic() < deadline:
            time.sleep(0.01)
        emulated.wait_for(node, "running")
        info = asyncio.run(operations.wait_configured(Target(node), dev.credentials, deadline=20))
        assert info.tag == target
        assert [call.path for call in emulated.calls if call.method == "Upgrade"] == [path]


def test_etcd_members_can_be_removed_and_a_control_plane_can_leave():
    cluster = render(example_definition("homelab", fresh_subnet()))
    first, second, third = cluster.control_planes
    with emulate(cluster):
        configure(cluster)
        assert asyncio.run(operations.bootstrap(Target(first), cluster.credentials, deadline=20))

        async def membership() -> list[str]:
            async with TalosClient(first, cluster.credentials) as client:
                members = await calls.etcd_members(client, node=first)
                third_id = next(m.id for m in members if third in m.peer_urls[0])
                await calls.etcd_remove_member(client, third_id, node=first)
                await calls.etcd_leave(client, node=second)
                with pytest.raises(TalosAPIError) as missing:
                    await calls.etcd_remove_member(client, third_id, node=first)
                assert missing.value.status == Status.NOT_FOUND
                return [m.peer_urls[0] for m in await calls.etcd_members(client, node=first)]

        assert asyncio.run(membership()) == [f"https://{first}:2380"]


def test_kubespan_peer_status_reflects_which_peers_can_reach_each_other():
    cluster = render(on_loopback(seed_talconfig("homelab-talos-dev"), fresh_subnet()))  # KubeSpan on, as in the article
    first, other = cluster.addresses[0], cluster.addresses[-1]
    with emulate(cluster) as emulated:
        configure(cluster)
        emulated.cut(first, other)

        async def peers() -> dict[str, str]:
            async with TalosClient(first, cluster.credentials) as client:
                resources = await calls.list_resources(client, "kubespan", "KubeSpanPeerStatuses.kubespan.talos.dev",
                                                       node=first)
            return {r.spec["endpoint"].split(":")[0]: r.spec["state"] for r in resources}

        states = asyncio.run(peers())
    assert states == {address: "down" if address == other else "up" for address in cluster.addresses[1:]}


def test_bootstrap_before_the_cri_is_up_is_retried_until_it_is(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        configure(dev)
        emulated.node(node).faults.cri_delay = 1.5
        emulated.node(node).booted_at = asyncio.run_coroutine_threadsafe(_now(), emulated._loop).result()
        assert asyncio.run(operations.bootstrap(Target(node), dev.credentials, deadline=20)) is True
        assert len(emulated.calls_to("Bootstrap")) >= 2


async def _now() -> float:
    return asyncio.get_running_loop().time()


def test_machine_status_reports_maintenance_then_running(dev):
    node = dev.control_planes[0]

    async def stage(credentials) -> str:
        async with TalosClient(node, credentials) as client:
            return str((await calls.get_resource(client, "runtime", "MachineStatuses.runtime.talos.dev", "machine",
                                                 node=node)).spec["stage"])

    with emulate(dev):
        assert asyncio.run(stage(None)) == "maintenance"
        configure(dev)
        assert asyncio.run(stage(dev.credentials)) == "running"


@pytest.mark.parametrize("enabled", [True, False])
def test_a_v1_14_control_plane_renders_coredns_as_its_kube_coredns_config_document_says(enabled: bool) -> None:
    """Talos v1.14 reads CoreDNS from the KubeCoreDNSConfig document before v1alpha1's cluster.coreDNS
    (container.go K8sCoreDNSConfig): `enabled: false` there drops the 11-core-dns manifest."""
    text = example_definition("dev", fresh_subnet(), cilium=False).replace("talosVersion: v1.13.9",
                                                                          "talosVersion: v1.14.0")
    cluster = render(text.replace("kubernetesVersion: v1.36.3", "kubernetesVersion: v1.37.0"))
    node = cluster.control_planes[0]
    documents = decode(cluster.configs[node], node)
    dns = next(d for d in documents if d.get("kind") == "KubeCoreDNSConfig")
    dns["enabled"] = enabled
    cluster.configs[node] = encode(documents).encode()

    async def manifest_ids() -> list[str]:
        async with TalosClient(node, cluster.credentials) as client:
            resources = await calls.list_resources(client, "controlplane", "Manifests.kubernetes.talos.dev",
                                                   node=node)
            return [resource.id for resource in resources]

    with emulate(cluster):
        configure(cluster)
        assert ("11-core-dns" in asyncio.run(manifest_ids())) is enabled
