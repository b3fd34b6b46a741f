"""Talos instances on Vultr: the Image Factory ISO as a private ISO, one Instance per node, and a firewall
group: the Talos API only from the admin networks, the Kubernetes API, and KubeSpan (51820/udp).

The ISO stays attached: a Talos ISO boots into the installation on disk once there is one (Talos docs,
"ISO" install guide), which is also what the article relied on, so nothing has to be detached by hand.
"""

from __future__ import annotations

import ipaddress

import ediri_vultr as vultr
import pulumi

from .machines import Machines, sorted_tags
from .stack import VultrSettings
from .talos.definition.model import ClusterDefinition
from .talos.definition.render import node_image
from .talos.imagefactory import FactoryImage

DEFAULT_LABEL = "Talos Kubernetes"
KUBERNETES_API_PORT = "6443"
TALOS_API_PORT = "50000"
KUBESPAN_PORT = "51820"
ANYWHERE = ("0.0.0.0/0", "::/0")


class VultrMachines(pulumi.ComponentResource):
    machines: Machines

    def __init__(self, name: str, definition: ClusterDefinition, settings: VultrSettings,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:VultrMachines", name, {}, opts)
        self.provider = vultr.Provider(f"{name}-provider", api_key=settings.api_key,
                                       opts=pulumi.ResourceOptions(parent=self))
        self.firewall = vultr.FirewallGroup(
            f"{name}-firewall", description=f"Talos {definition.cluster_name}: Talos API, Kubernetes API, KubeSpan",
            opts=self._options())
        self.rules = self._rules(name, settings.admin_networks)
        self.isos: dict[str, vultr.IsoPrivate] = {}
        self.instances: dict[str, vultr.Instance] = {}
        self.machines = Machines()
        for node in definition.nodes:
            if node.vultr is None:
                continue
            # Vultr boots the metal ISO (as Talos's Vultr guide does); the installer is the vultr platform's.
            image = FactoryImage(node_image(definition, node).schematic_id, definition.talos_version, "metal",
                                 node.arch)
            iso = self._iso(name, image)
            instance = vultr.Instance(
                f"{name}-{node.hostname}", plan=node.vultr.plan, region=node.vultr.region, iso_id=iso.id,
                hostname=node.hostname, label=node.vultr.label or DEFAULT_LABEL,
                tags=sorted_tags(*node.vultr.tags) if node.vultr.tags else sorted_tags("talos", "kubernetes"),
                enable_ipv6=node.vultr.enable_ipv6, firewall_group_id=self.firewall.id, opts=self._options())
            self.instances[node.hostname] = instance
            self.machines.addresses[node.hostname] = instance.main_ip
            self.machines.resources[node.hostname] = [instance, *self.rules]
        self.register_outputs({"isos": {key: iso.id for key, iso in self.isos.items()},
                               "firewall_group": self.firewall.id})

    def _options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider)

    def _iso(self, name: str, image: FactoryImage) -> vultr.IsoPrivate:
        key = f"{image.schematic_id[:12]}-{image.talos_version}-{image.arch}"
        if key not in self.isos:
            self.isos[key] = vultr.IsoPrivate(f"{name}-iso-{key}", url=image.iso_url, opts=self._options())
            self.machines.images[f"vultr/{key}"] = self.isos[key].id
        return self.isos[key]

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
