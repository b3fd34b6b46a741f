"""What platform components hand to TalosCluster, and the node facts they share (pure data, no resources)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pulumi

from .talos.definition.model import ClusterDefinition, NodeDefinition
from .talos.errors import ConfigError

GUEST_AGENT = "siderolabs/qemu-guest-agent"


@dataclass
class Machines:
    """Node hostname → its address (plain or an Output) and the resources the apply must wait for."""

    addresses: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    resources: dict[str, list[pulumi.Resource]] = field(default_factory=dict)
    images: dict[str, pulumi.Output[str]] = field(default_factory=dict)  # boot media ids, for stack outputs

    def merge(self, other: Machines) -> Machines:
        return Machines({**self.addresses, **other.addresses}, {**self.resources, **other.resources},
                        {**self.images, **other.images})


def existing_machines(definition: ClusterDefinition) -> Machines:
    """Nodes on neither platform: machines that already run Talos's ISO or are installed (Pis, an OVH VM)."""
    nodes = [node for node in definition.nodes if node.platform == "existing"]
    return Machines({node.hostname: node.addresses[0] for node in nodes})


def extensions_of(node: NodeDefinition) -> list[str]:
    schematic = node.values.get("schematic") or {}
    customization = schematic.get("customization") or {}
    return list((customization.get("systemExtensions") or {}).get("officialExtensions") or [])


@dataclass(frozen=True)
class StaticNetwork:
    """The node's first address with its prefix, default gateway and DNS: what cloud-init gives it."""

    address: str  # e.g. 192.168.1.85/24
    gateway: str | None
    nameservers: list[str]


def static_network(definition: ClusterDefinition, node: NodeDefinition) -> StaticNetwork:
    where = f"{definition.source}: nodes[{node.index}] ({node.hostname})"
    wanted = node.addresses[0]
    for interface in node.values.get("networkInterfaces") or []:
        for address in interface.get("addresses") or []:
            if str(address).split("/")[0] == wanted and "/" in str(address):
                gateway = next((route.get("gateway") for route in interface.get("routes") or []
                                if route.get("network") in ("0.0.0.0/0", "::/0")), None)
                return StaticNetwork(str(address), gateway, [str(s) for s in node.values.get("nameservers") or []])
    raise ConfigError(f"{where}: networkInterfaces[].addresses must hold the ipAddress with its prefix (e.g. "
                      f"{wanted}/24): it is given to the VM by cloud-init before Talos is configured")


def first_guest_address(names: list[str] | None, addresses: list[list[str]] | None) -> str:
    """The first IPv4 the QEMU guest agent reports on a real interface (not lo)."""
    for name, ips in zip(names or [], addresses or [], strict=False):
        if name == "lo":
            continue
        for ip in ips:
            if not ipaddress.ip_address(ip).is_loopback:
                return ip
    return ""


def sorted_tags(*tags: str) -> list[str]:
    """Proxmox and Vultr keep tags sorted; unsorted input would show a diff on every run."""
    return sorted(set(tags))

