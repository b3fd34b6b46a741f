"""Talos instances on Vultr: the Image Factory's ``vultr`` disk image as a snapshot, one Instance per node
restored from it, and a firewall group: the Talos API only from the admin networks, the Kubernetes API, and
KubeSpan (51820/udp).

Why a disk image and not an ISO: a Vultr instance boots its attached ISO before its disk, on every boot.
- From Talos v1.8 every ISO carries talos.halt_if_installed=1 (siderolabs/talos pkg/imager/imager.go
  buildCmdline, pkg/machinery/imager/quirks SupportsHaltIfInstalled: >= 1.8.0, ISO outputs only). Once
  installed, machined's Initialize sequence runs haltIfInstalled before LoadConfig
  (internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_sequencer.go, v1alpha1_sequencer_tasks.go): the node
  logs "Please reboot from the disk" for BootTimeout (70 min), then reboots into the ISO again. No API, ever.
- v1.6 and v1.7 ISOs lack the flag: Initialize mounts STATE from the disk and boots configured, but on the
  ISO's kernel and initramfs (v1alpha1_sequencer.go mountSystem/config; Install skipped when Installed()),
  so every `talosctl upgrade` is undone at the next boot.
- A disk image is Talos already installed (v1.6–v1.7: Installed() is the EPHEMERAL partition; v1.8+: the
  META volume, v1alpha1_state.go), its cmdline never carries the flag (OutKindImage), so the instance boots
  its disk, takes the first config without an install reboot, and upgrades stick. Vultr imports raw images
  only, so the URL is the factory's uncompressed ``vultr-<arch>.raw``.
Instances wait until Vultr has imported it (providers/vultr_snapshot.py). The snapshot belongs to the stack:
another stack on the same account has its own, and a destroy deletes only its stack's snapshot.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ediri_vultr as vultr
import pulumi

from .machines import Machines, sorted_tags
from .placement import stack_tag
from .providers.vultr_snapshot import SnapshotReady
from .stack import VultrSettings
from .talos.definition.model import ClusterDefinition
from .talos.definition.render import node_image
from .talos.imagefactory import FactoryImage

DEFAULT_LABEL = "Talos Kubernetes"
DEFAULT_TAGS = ("talos", "kubernetes")
KUBERNETES_API_PORT = "6443"
TALOS_API_PORT = "50000"
KUBESPAN_PORT = "51820"
ANYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class BootSource:
    """An instance boots a snapshot or an ISO (Vultr takes one of snapshot_id, iso_id, os_id, app_id, image_id)."""

    snapshot_id: pulumi.Input[str] | None = None
    iso_id: pulumi.Input[str] | None = None


class VultrMachines(pulumi.ComponentResource):
    machines: Machines

    def __init__(self, name: str, definition: ClusterDefinition, settings: VultrSettings,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:VultrMachines", name, {}, opts)
        self.provider = vultr.Provider(f"{name}-provider", api_key=settings.api_key,
                                       opts=pulumi.ResourceOptions(parent=self))
        stack = pulumi.get_stack()
        self.firewall = vultr.FirewallGroup(
            f"{name}-firewall", description=f"Talos {definition.cluster_name} (stack {stack}): Talos API, "
                                            "Kubernetes API, KubeSpan", opts=self._options())
        self.rules = self._rules(name, settings.admin_networks)
        self.api_key = settings.api_key
        self.snapshots: dict[str, vultr.SnapshotFromUrl] = {}
        self.ready: dict[str, SnapshotReady] = {}
        self.instances: dict[str, vultr.Instance] = {}
        self.machines = Machines()
        for node in definition.nodes:
            if node.vultr is None:
                continue
            boot = self._boot_source(name, node_image(definition, node))
            instance = vultr.Instance(
                f"{name}-{node.hostname}", plan=node.vultr.plan, region=node.vultr.region, snapshot_id=boot.snapshot_id,
                iso_id=boot.iso_id, hostname=node.hostname,
                label=node.vultr.label or f"{DEFAULT_LABEL} {stack} {node.hostname}",
                tags=sorted_tags(*(node.vultr.tags or DEFAULT_TAGS), stack_tag(stack)),
                enable_ipv6=node.vultr.enable_ipv6, firewall_group_id=self.firewall.id, opts=self._options())
            self.instances[node.hostname] = instance
            self.machines.addresses[node.hostname] = instance.main_ip
            self.machines.resources[node.hostname] = [instance, *self.rules]
        self.register_outputs({"snapshots": {key: snapshot.id for key, snapshot in self.snapshots.items()},
                               "firewall_group": self.firewall.id})

    def _options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider)

    def _boot_source(self, name: str, image: FactoryImage) -> BootSource:
        """What the instance boots: the stack's snapshot of the vultr platform's disk image (module docstring),
        once Vultr has finished importing it."""
        return BootSource(snapshot_id=self._snapshot(name, image).snapshot_id)

    def _snapshot(self, name: str, image: FactoryImage) -> SnapshotReady:
        key = f"{image.schematic_id[:12]}-{image.talos_version}-{image.arch}"
        if key not in self.snapshots:
            # amd64 images boot BIOS or UEFI (GRUB, or dual-boot from v1.10); arm64 images boot UEFI only from v1.10
            # (siderolabs/talos pkg/imager/profile/output.go selectBootloader), so Vultr must mark them UEFI.
            self.snapshots[key] = vultr.SnapshotFromUrl(f"{name}-snapshot-{key}",
                                                        url=image.uncompressed_disk_image_url,
                                                        use_uefi=image.arch == "arm64", opts=self._options())
            self.machines.images[f"vultr/{key}"] = self.snapshots[key].id
            self.ready[key] = SnapshotReady(f"{name}-snapshot-{key}-ready", snapshot_id=self.snapshots[key].id,
                                            api_key=self.api_key, opts=pulumi.ResourceOptions(parent=self))
        return self.ready[key]

    def _rules(self, name: str, admin_networks: list[str]) -> list[vultr.FirewallRule]:
        wanted = [("tcp", TALOS_API_PORT, network, "Talos API (talosctl, Pulumi)") for network in admin_networks]
        wanted += [("tcp", KUBERNETES_API_PORT, network, "Kubernetes API") for network in ANYWHERE]
        wanted += [("udp", KUBESPAN_PORT, network, "KubeSpan (WireGuard)") for network in ANYWHERE]
        rules = []
        for protocol, port, network, notes in wanted:
            parsed = ipaddress.ip_network(network, strict=False)
            ip_type = "v4" if parsed.version == 4 else "v6"
            slug = f"{protocol}-{port}-{str(parsed.network_address).replace(':', '-')}-{parsed.prefixlen}"
            rules.append(vultr.FirewallRule(
                f"{name}-{slug}", firewall_group_id=self.firewall.id, protocol=protocol, ip_type=ip_type,
                subnet=str(parsed.network_address), subnet_size=parsed.prefixlen, port=port, notes=notes,
                opts=self._options()))
        return rules
