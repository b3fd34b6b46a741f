"""The whole cross-region program through the stand-in engine, its machines on emulated nodes that boot what the
program told Proxmox and Vultr to boot: today's Vultr wiring (ISO) halts after install, a snapshot comes up.

Cloud resources are answered by `EmulatedCloud`, which reads each VM's and instance's real inputs (cdrom, boot
order, snapshot or ISO) and sets the emulated node's boot media from them; the Talos layer's dynamic resources
then run through the SDK's provider host (tests/engine.py) against those nodes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import grpc

from components import program
from components.providers.vultr_snapshot import API_ENV
from components.talos.imagefactory import FactoryImage
from components.vultr import BootSource, VultrMachines

from .conftest import ROOT
from .emulated import fresh_subnet, on_loopback
from .emulator import BootMedia, EmulatedCluster
from .engine import Engine, Program, ProgramRun, Registration
from .provider_host import ProviderHost
from .stacks import TEST_SECRETS, stack_config
from .vultr_api import FakeVultrAPI

_VERSION_IN_URL = re.compile(r"/image/[0-9a-f]{64}/(v[0-9.]+)/")


class EmulatedCloud:
    """Proxmox and Vultr as the mocks see them, turned into boot media of emulated nodes."""

    def __init__(self, emulated: EmulatedCluster, vultr_addresses: list[str], api: FakeVultrAPI) -> None:
        self.emulated, self.api = emulated, api
        self.free = list(vultr_addresses)
        self.versions: dict[str, str] = {}  # image id → Talos version of the image
        self.raw_snapshots: set[str] = set()

    def __call__(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        kind, inputs = registration.type, dict(registration.inputs)
        if kind in ("proxmoxve:download/file:File", "vultr:index/isoPrivate:IsoPrivate",
                    "vultr:index/snapshotFromUrl:SnapshotFromUrl"):
            id_ = f"{registration.name}-id"
            self.versions[id_] = _version_of(inputs["url"])
            if kind.endswith("SnapshotFromUrl") and inputs["url"].endswith(".raw"):
                self.raw_snapshots.add(id_)  # Vultr imports raw images only; anything else is no disk to boot
            if kind.endswith("SnapshotFromUrl"):
                self.api.importing(id_)  # Vultr imports it in the background
            return id_, inputs
        if kind == "proxmoxve:index/vmLegacy:VmLegacy":
            address = inputs["initialization"]["ipConfigs"][0]["ipv4"]["address"].split("/")[0]
            disk_first = inputs["bootOrders"][0].startswith("scsi")
            self.emulated.boot_from(address, BootMedia(iso=self.versions[inputs["cdrom"]["fileId"]],
                                                       disk_first=disk_first))
            return str(inputs.get("vmId") or 100), inputs
        if kind == "vultr:index/instance:Instance":
            address = self.free.pop(0)
            if inputs.get("isoId"):  # Vultr boots an attached ISO before the disk
                self.emulated.boot_from(address, BootMedia.iso_first(self.versions[inputs["isoId"]]))
            else:
                assert inputs["snapshotId"] in self.raw_snapshots, "Vultr cannot import a compressed image"
                self.emulated.boot_from(address, BootMedia.from_disk_image())
            return f"instance-{address}", {**inputs, "mainIp": address}
        if kind == "kubernetes:helm.sh/v3:Release" and inputs.get("chart") == "cilium":
            self.emulated.kubernetes.cni_installed = True  # the CNI runs: kubelets report Ready
        return f"{registration.name}-id", inputs


def _version_of(url: str) -> str:
    match = _VERSION_IN_URL.search(url)
    assert match, url
    return match.group(1)


class IsoWiredVultrMachines(VultrMachines):
    """Today's wiring before this change: the factory's metal ISO as a private ISO, left attached."""

    def _boot_source(self, name: str, image: FactoryImage) -> BootSource:
        import ediri_vultr as vultr

        metal = FactoryImage(image.schematic_id, image.talos_version, "metal", image.arch)
        iso = vultr.IsoPrivate(f"{name}-iso-{image.talos_version}", url=metal.iso_url, opts=self._options())
        return BootSource(iso_id=iso.id)


def cross_region_on_loopback(tmp_path: Path) -> tuple[Path, str]:
    subnet = fresh_subnet()
    text = on_loopback((ROOT / "config" / "cross-region.yaml").read_text(), subnet)
    path = tmp_path / "cross-region.yaml"
    path.write_text(text.replace("192.168.128.112", f"{subnet}.112"))  # the existing OVH worker
    return path, subnet


def up(tmp_path: Path, health_timeout: int = 30
       ) -> tuple[EmulatedCluster, Engine, ProgramRun, list[str], Exception | None]:
    definition, subnet = cross_region_on_loopback(tmp_path)
    control_planes = [f"{subnet}.{host}" for host in (85, 79, 82)]
    vultr = [f"{subnet}.201", f"{subnet}.202"]
    config = {**stack_config("cross-region"), **TEST_SECRETS, "talos-cluster:definition": str(definition),
              "talos-cluster:cilium": json.dumps({"enabled": False}),
              "talos-cluster:talos": json.dumps({"applyTimeout": 30, "bootstrapTimeout": 30,
                                                 "healthTimeout": health_timeout})}
    failure: Exception | None = None
    with EmulatedCluster([*control_planes, f"{subnet}.112", *vultr], version="v1.13.9", install_seconds=0.1,
                         reboot_seconds=0.1) as emulated, FakeVultrAPI(TEST_SECRETS["vultr:apiKey"]) as api, \
            ProviderHost(env={API_ENV: api.url}) as host:
        engine = Engine(host, mock=EmulatedCloud(emulated, vultr, api))
        try:
            engine.up(Program(program.build, stack="cross-region", config=config, secret_keys=list(TEST_SECRETS)))
        except Exception as error:  # the tests read the failure and the nodes' phases
            failure = error
    return emulated, engine, ProgramRun(engine.registrations, {}), vultr, failure


def test_vultr_workers_booted_from_the_snapshot_come_up_with_the_proxmox_control_planes(tmp_path):
    emulated, engine, _, vultr, failure = up(tmp_path)
    assert failure is None
    assert all(emulated.node(address).boot == BootMedia.from_disk_image() for address in vultr)
    assert {node.phase for node in emulated.nodes.values()} == {"running"}
    assert all(emulated.node(address).boot.disk_first and emulated.node(address).boot.iso == "v1.13.9"
               for address in list(emulated.nodes)[:3])  # the Proxmox control planes: disk before the ISO
    health = next(state for urn, state in engine.state.items() if urn.endswith("::talos-health"))
    assert health.outputs["__nodes_healthy"] == 6
    ready = next(state for urn, state in engine.state.items() if "SnapshotReady" in urn)
    assert ready.outputs["status"] == "complete" and "api_key" not in ready.outputs


def test_todays_vultr_wiring_with_the_iso_attached_halts_after_the_install_reboot(tmp_path, monkeypatch):
    monkeypatch.setattr(program, "VultrMachines", IsoWiredVultrMachines)
    emulated, _, run, vultr, failure = up(tmp_path, health_timeout=5)
    assert run.of_type("isoPrivate:IsoPrivate") and not run.of_type("snapshotFromUrl:SnapshotFromUrl")
    assert {emulated.node(address).phase for address in vultr} == {"halted"}
    message = failure.details() if isinstance(failure, grpc.RpcError) else str(failure)
    assert "cluster health: cluster not healthy after 5s" in message
    assert all(f"check that the node is up and port 50000/tcp on {address} is reachable" in message
               for address in vultr)
