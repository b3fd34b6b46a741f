"""Boot media as machined treats them, per Talos version: what a node does after its install reboot when an ISO is
still attached, when the disk boots first (Proxmox), and when it was written from a disk image (Vultr snapshot)."""

from __future__ import annotations

import asyncio

import pytest

from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.operations import Target
from components.talos.versions import default_kubernetes_version

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .emulator import BootMedia, EmulatedCluster


def dev_at(version: str) -> RenderedCluster:
    text = example_definition("dev", fresh_subnet()).replace("talosVersion: v1.13.9", f"talosVersion: {version}")
    return render(text.replace("kubernetesVersion: v1.36.3",
                               f"kubernetesVersion: v{default_kubernetes_version(version)}"))


def apply_first_config(cluster: RenderedCluster, emulated: EmulatedCluster, media: BootMedia) -> str:
    """Boot the control plane from `media`, apply its config insecurely, return the phase it settles in."""
    node = cluster.control_planes[0]
    emulated.boot_from(node, media)
    asyncio.run(operations.apply(Target(node), cluster.configs[node], cluster.credentials, deadline=10))
    emulated_node = emulated.node(node)

    async def settled() -> str:
        while not (emulated_node.phase == "halted" or (emulated_node.phase == "running" and emulated_node.listening)):
            await asyncio.sleep(0.02)
        return emulated_node.phase

    return emulated.run(settled(), timeout=10)


@pytest.mark.parametrize("version", ["v1.8.4", "v1.10.7", "v1.13.9"])
def test_an_iso_booted_before_the_disk_halts_once_talos_is_installed_from_talos_1_8(version):
    cluster = dev_at(version)
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        assert apply_first_config(cluster, emulated, BootMedia.iso_first(version)) == "halted"
        node = emulated.node(cluster.control_planes[0])
        assert not node.listening and node.installed  # "Please reboot from the disk": no API, forever


@pytest.mark.parametrize("version", ["v1.6.8", "v1.7.7"])
def test_before_talos_1_8_an_iso_booted_first_comes_up_configured_from_the_disks_state(version):
    cluster = dev_at(version)
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        assert apply_first_config(cluster, emulated, BootMedia.iso_first(version)) == "running"
        asyncio.run(operations.wait_configured(Target(cluster.control_planes[0]), cluster.credentials, deadline=10))


def test_before_talos_1_8_an_iso_booted_first_undoes_every_upgrade_at_the_next_boot():
    cluster = dev_at("v1.7.7")
    node = cluster.control_planes[0]
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        apply_first_config(cluster, emulated, BootMedia.iso_first("v1.7.7"))

        async def upgrade_then_version() -> str:
            async with TalosClient(node, cluster.credentials) as client:
                await calls.upgrade(client, "factory.talos.dev/installer/abc:v1.7.8", node=node)
            await asyncio.sleep(0.5)
            return (await operations.wait_configured(Target(node), cluster.credentials, deadline=10)).tag

        assert asyncio.run(upgrade_then_version()) == "v1.7.7"  # the ISO's kernel, not the disk's


@pytest.mark.parametrize("version", ["v1.6.8", "v1.13.9"])
def test_a_disk_written_from_a_disk_image_comes_up_configured_on_every_version(version):
    cluster = dev_at(version)
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        assert apply_first_config(cluster, emulated, BootMedia.from_disk_image()) == "running"
        info = asyncio.run(operations.wait_configured(Target(cluster.control_planes[0]), cluster.credentials,
                                                      deadline=10))
    assert info.tag == version


def test_an_iso_behind_the_disk_in_the_boot_order_boots_the_installation_as_on_proxmox():
    cluster = dev_at("v1.13.9")
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        assert apply_first_config(cluster, emulated, BootMedia(iso="v1.13.9", disk_first=True)) == "running"


@pytest.mark.parametrize("version", ["v1.7.7", "v1.13.9"])
def test_a_disk_image_node_reset_like_reset_on_destroy_boots_its_disk_into_maintenance(version):
    cluster = dev_at(version)
    node = cluster.control_planes[0]
    with emulate(cluster, install_seconds=0.1, reboot_seconds=0.1) as emulated:
        apply_first_config(cluster, emulated, BootMedia.from_disk_image())

        async def reset() -> None:
            async with TalosClient(node, cluster.credentials) as client:
                await calls.reset(client, graceful=False, reboot=True, node=node)

        asyncio.run(reset())
        emulated.wait_for(node, "maintenance", timeout=10)
        # before v1.8 the wipe took EPHEMERAL, which is what "installed" meant: the next apply installs again
        assert emulated.node(node).installed is (version == "v1.13.9")
