"""Semantic checks of a parsed definition, before anything is rendered or created."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Any

from ..errors import PatchError, TalosError
from ..secrets import SecretsBundle
from ..validation import MachineConfigInvalid, describe, endpoint_problem
from ..versions import check_kubernetes_supported, unsupported_reason
from .model import ClusterDefinition, NodeDefinition
from .problems import ProblemList


def is_ip(value: Any) -> bool:
    """An IPv4 or IPv6 address (no prefix)."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _cidr(value: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    try:
        return ipaddress.ip_interface(str(value)) if "/" in str(value) else None
    except ValueError:
        return None


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


def hostname_problem(name: str) -> str | None:
    """Why `name` is not an RFC 1123 hostname (labels of letters, digits and inner '-', <= 63 each, <= 253).

    Talos's HostnameConfig.Validate (config/types/network/hostname.go) bounds the FQDN at 253 and the host
    label at 63; RFC 1123's alphabet keeps the name usable as a file name and a Kubernetes node name.
    """
    if len(name) > 253:
        return f"is {len(name)} characters long; expected an RFC 1123 hostname of at most 253"
    for label in name.split("."):
        if len(label) > 63:
            return f"has a label of {len(label)} characters; expected at most 63 per label (RFC 1123)"
        if not _HOST_LABEL.fullmatch(label):
            return ("expected an RFC 1123 hostname: letters, digits and '-' (not first or last), labels "
                    "separated by single dots; no '/', spaces, '_' or control characters")
    return None


# interface fields and the shape each must have (a wrong shape was a traceback further down)
_INTERFACE_SHAPES: dict[str, tuple[type, str]] = {
    "interface": (str, "expected an interface name such as eth0"), "addresses": (list, "expected a list"),
    "routes": (list, "expected a list of mappings with network and gateway"),
    "vip": (dict, "expected a mapping with ip"), "dhcp": (bool, "expected true or false"),
    "ignore": (bool, "expected true or false"), "mtu": (int, "expected an integer"),
}


def _interface_shapes(interface: dict[str, Any], where: str, problems: ProblemList) -> bool:
    good = True
    for key, (kind, expected) in _INTERFACE_SHAPES.items():
        value = interface.get(key)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            problems.add(f"{where}.{key}", expected, value)
            good = False
    mtu = interface.get("mtu")
    if good and mtu is not None and not 68 <= mtu <= 65535:  # Linux ETH_MIN_MTU .. IP_MAX_MTU
        problems.add(f"{where}.mtu", "expected an MTU from 68 to 65535", mtu)
    return good


def _check_interfaces(node: NodeDefinition, problems: ProblemList) -> None:
    path = f"nodes[{node.index}].networkInterfaces"
    for i, interface in enumerate(node.values.get("networkInterfaces") or []):
        where = f"{path}[{i}]"
        if not isinstance(interface, dict):
            problems.add(where, "expected a mapping (interface, addresses, routes, vip, ...)", interface)
            continue
        if not _interface_shapes(interface, where, problems):
            continue
        subnets = []
        for j, address in enumerate(interface.get("addresses") or []):
            # an address with its prefix, or a bare IP: talhelper's networkconfig.go writes 10.0.0.1/32 (/128 for
            # IPv6) in v1.12+ documents, and Talos's v1alpha1 validateIPOrCIDR takes either
            parsed = _cidr(address) if isinstance(address, str) else None
            if parsed is not None:
                subnets.append(parsed.network)  # a bare IP names no subnet: the VIP check leaves it out
            elif not (isinstance(address, str) and is_ip(address)):
                problems.add(f"{where}.addresses[{j}]", "expected an IP address or one with its prefix, e.g. "
                             "192.168.1.85/24", address)
        for j, route in enumerate(interface.get("routes") or []):
            if not isinstance(route, dict):
                problems.add(f"{where}.routes[{j}]", "expected a mapping with network and gateway", route)
                continue
            if "network" in route and (not isinstance(route["network"], str) or _cidr(route["network"]) is None):
                problems.add(f"{where}.routes[{j}].network", "expected a CIDR, e.g. 0.0.0.0/0", route["network"])
            if "gateway" in route and not is_ip(route["gateway"]):
                problems.add(f"{where}.routes[{j}].gateway", "expected an IP address", route["gateway"])
        vip = interface.get("vip")
        if isinstance(vip, dict) and "ip" in vip:
            if not isinstance(vip["ip"], str) or not is_ip(vip["ip"]):
                problems.add(f"{where}.vip.ip", "expected an IP address", vip["ip"])
            elif subnets and not any(ipaddress.ip_address(vip["ip"]) in net for net in subnets):
                problems.add(f"{where}.vip.ip", "is outside the interface's subnets "
                             f"({', '.join(str(n) for n in subnets)}); expected an address in them", vip["ip"])
            if not node.control_plane:
                problems.add(f"{where}.vip", "a shared VIP belongs on control-plane nodes only")


# Image Factory schematic fields (image-factory pkg/schematic) and the shape each must have
_SCHEMATIC_SHAPES: dict[str, tuple[type, type | None]] = {
    "customization": (dict, None), "overlay": (dict, None), "customization.extraKernelArgs": (list, str),
    "customization.systemExtensions": (dict, None), "customization.systemExtensions.officialExtensions": (list, str),
    "customization.meta": (list, dict), "customization.secureboot": (dict, None), "overlay.image": (str, None),
    "overlay.name": (str, None), "overlay.options": (dict, None),
}


def _check_schematic(node: NodeDefinition, problems: ProblemList) -> None:
    schematic = node.values.get("schematic")
    if not isinstance(schematic, dict):
        return
    for dotted, (kind, item) in _SCHEMATIC_SHAPES.items():
        value: Any = schematic
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        expected = f"expected a list of {'strings' if item is str else 'mappings'}" if kind is list else \
            f"expected a {'mapping' if kind is dict else 'string'}"
        wrong_items = item is not None and isinstance(value, list) and not all(isinstance(v, item) for v in value)
        if not isinstance(value, kind) or wrong_items:
            problems.add(f"nodes[{node.index}].schematic.{dotted}", expected, value)


def _check_node(definition: ClusterDefinition, node: NodeDefinition, problems: ProblemList) -> None:
    path = f"nodes[{node.index}]"
    if isinstance(node.values.get("hostname"), str) and node.values["hostname"]:
        reason = hostname_problem(node.hostname)
        if reason:
            problems.add(f"{path}.hostname", reason, node.hostname)
    _check_schematic(node, problems)
    if node.proxmox and node.vultr:
        problems.add(path, "is on two platforms (proxmox and vultr); expected at most one")
    if node.vultr and node.ip_address:
        problems.add(f"{path}.ipAddress", "a Vultr node gets its address from the instance; remove ipAddress",
                     node.ip_address)
    if node.platform == "existing" and not node.ip_address:
        problems.add(f"{path}.ipAddress", "is required for an existing machine (a node with neither proxmox nor "
                                          "vultr); Proxmox VMs without it are found through the QEMU guest agent")
    for address in node.addresses:
        if not is_ip(address):
            problems.add(f"{path}.ipAddress", "expected an IP address (or a comma-separated list)", address)
    if not node.values.get("installDisk") and not node.values.get("installDiskSelector"):
        problems.add(f"{path}.installDisk", "one of installDisk or installDiskSelector is required")
    for i, server in enumerate(node.values.get("nameservers") or []):
        if not is_ip(server):
            problems.add(f"{path}.nameservers[{i}]", "expected an IP address", server)
    _check_interfaces(node, problems)


def _check_cluster(definition: ClusterDefinition, problems: ProblemList) -> None:
    if definition.endpoint:
        reason = endpoint_problem(definition.endpoint)
        if not definition.endpoint.lower().startswith("https://"):
            problems.add("endpoint", "expected an https URL such as https://192.168.1.80:6443", definition.endpoint)
        elif reason:  # siderolabs/net ValidateEndpointURI's reason: port range, blank host, IPv6 brackets
            problems.add("endpoint", f"{reason}; expected an https URL such as https://192.168.1.80:6443",
                         definition.endpoint)
    for key, values in (("clusterPodNets", definition.pod_subnets), ("clusterSvcNets", definition.service_subnets)):
        for i, value in enumerate(values):
            if _cidr(value) is None:
                problems.add(f"{key}[{i}]", "expected a CIDR, e.g. 10.244.0.0/16", value)
    if definition.talos_version:
        unsupported_talos = unsupported_reason(definition.talos_version)
        if unsupported_talos:
            problems.add("talosVersion", unsupported_talos, definition.talos_version)
        elif definition.kubernetes_version:
            unsupported = check_kubernetes_supported(definition.talos_version, definition.kubernetes_version)
            if unsupported:
                problems.add("kubernetesVersion", unsupported, definition.kubernetes_version)
    if definition.nodes and not definition.control_planes:
        problems.add("nodes", "no control-plane node; expected at least one node with controlPlane: true")
    if definition.control_planes and len(definition.control_planes) % 2 == 0:
        definition.warnings.append(f"{definition.source}: nodes: {len(definition.control_planes)} control planes; "
                                   "an odd number keeps etcd quorum through one failure")
    # Talos lowercases a hostname into the Kubernetes node name (k8s/internal/nodename FromHostname), so
    # hostnames that differ only in case would be one node
    for label, counter in (("hostname", Counter(n.hostname.lower() for n in definition.nodes)),
                           ("ipAddress", Counter(a for n in definition.nodes for a in n.addresses))):
        for value, count in counter.items():
            if count > 1:
                indexes = [n.index for n in definition.nodes
                           if (n.hostname.lower() == value if label == "hostname" else value in n.addresses)]
                problems.add(f"nodes[{indexes[-1]}].{label}",
                             f"duplicate: also used by nodes[{indexes[0]}]; expected unique values", value)


def _check_patches(definition: ClusterDefinition, problems: ProblemList) -> None:
    from .render import render_node  # render depends on a structurally valid definition

    placeholder = SecretsBundle.placeholder()
    # A global or role patch that fails, fails the same way on every node it reaches: one problem, naming them.
    nodes_by_message: dict[str, list[NodeDefinition]] = {}
    for node in definition.nodes:
        try:
            render_node(definition, node, placeholder)
        except MachineConfigInvalid as error:
            nodes_by_message.setdefault(describe(error.problems, error.talos), []).append(node)
        except PatchError as error:
            nodes_by_message.setdefault(f"patch does not apply: {error}", []).append(node)
        except TalosError as error:
            nodes_by_message.setdefault(str(error), []).append(node)
    for message, nodes in nodes_by_message.items():
        problems.add(", ".join(f"nodes[{node.index}] ({node.hostname})" for node in nodes), message)


def validate(definition: ClusterDefinition, problems: ProblemList) -> None:
    _check_cluster(definition, problems)
    for node in definition.nodes:
        _check_node(definition, node, problems)
    if not problems:
        _check_patches(definition, problems)
