"""talhelper's ``networkInterfaces`` / ``nameservers`` as Talos v1.12+ typed network documents.

Follows budimanjojo/talhelper pkg/talos/networkconfig.go and multidocs.go (genMultiDocs): the
same kinds, names and document order. Where talhelper silently skips a value it cannot convert
(an unknown bond mode, an endpoint that is not ip:port, a field with no v1.12 counterpart), this
module refuses it by name instead.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import ConfigError

Document = dict[str, Any]
Device = dict[str, Any]

# talhelper's v1alpha1.Bond yaml name -> Talos BondConfig field (networkconfig.go GenerateBondConfig)
_BOND_FIELDS = {
    "mode": "bondMode", "xmitHashPolicy": "xmitHashPolicy", "lacpRate": "lacpRate",
    "arpValidate": "arpValidate", "arpAllTargets": "arpAllTargets", "primaryReselect": "primaryReselect",
    "failOverMac": "failOverMac", "adSelect": "adSelect", "miimon": "miimon", "updelay": "updelay",
    "downdelay": "downdelay", "arpInterval": "arpInterval", "resendIgmp": "resendIGMP", "minLinks": "minLinks",
    "lpInterval": "lpInterval", "packetsPerSlave": "packetsPerSlave", "numPeerNotif": "numPeerNotif",
    "tlbDynamicLb": "tlbLogicalLb", "allSlavesActive": "allSlavesActive", "useCarrier": "useCarrier",
    "adActorSysPrio": "adActorSysPrio", "adUserPortKey": "adUserPortKey", "peerNotifyDelay": "peerNotifDelay",
    # talhelper drops `primary`; BondConfig has it, so it is kept rather than lost
    "primary": "primary",
}
# Fields with no v1.12+ typed-document counterpart in talhelper's translation: refused, never dropped.
_NO_COUNTERPART = {
    "ignore": "Talos v1.12+ has no per-link ignore; leave the link out",
    "dummy": "use a DummyLinkConfig document in a patch",
    "bridgePort": "set the bridge's links in bridge.interfaces",
    "vip.equinixMetal": "Talos v1.12+ has no Equinix Metal VIP document",
    "vip.hcloud": "use an HCloudVIPConfig document in a patch",
    "dhcpOptions.duidv6": "set duidRaw in a DHCPv6Config patch",
    "bond.adActorSystem": "BondConfig has no adActorSystem",
}


def _doc(kind: str, name: str | None = None, **fields: Any) -> Document:
    document: Document = {"apiVersion": "v1alpha1", "kind": kind}
    if name is not None:
        document["name"] = name
    document.update({key: value for key, value in fields.items() if value is not None})
    return document


def _prefix(address: Any, where: str) -> str:
    """An address with prefix; a bare IP gets /32 or /128 (networkconfig.go GenerateLinkConfig,
    addCommonLinkConfig, GenerateVLANConfig)."""
    text = str(address)
    try:
        return str(ipaddress.ip_interface(text)) if "/" in text else \
            f"{ipaddress.ip_address(text)}/{32 if ipaddress.ip_address(text).version == 4 else 128}"
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not an IP address or CIDR") from None


def _allowed_ip(network: Any, where: str) -> str:
    """A WireGuard allowed IP must carry its prefix: talhelper's GenerateWireguardConfig skips one that does not
    parse as a prefix (netip.ParsePrefix), and Talos's v1alpha1 check refuses it (peer allowed IP is invalid)."""
    text = str(network)
    try:
        return str(ipaddress.ip_interface(text)) if "/" in text else _no_prefix(text, where)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a CIDR such as 10.2.0.0/24") from None


def _no_prefix(text: str, where: str) -> str:
    bits = 32 if ipaddress.ip_address(text).version == 4 else 128
    raise ConfigError(f"{where}: {text!r} has no prefix; talhelper would leave this allowed IP out of the "
                      f"WireguardConfig without a word; write {text}/{bits} for the one address")


def _route(route: dict[str, Any], where: str) -> Document:
    """buildRouteConfig: a default route (0.0.0.0/0, ::/0) has no destination; Talos infers it."""
    result: Document = {}
    network = route.get("network")
    if network:
        try:
            prefix = ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            raise ConfigError(f"{where}.network: {network!r} is not a CIDR") from None
        if prefix.prefixlen != 0:
            result["destination"] = str(network)
    for field in ("gateway", "source"):
        if route.get(field):
            result[field] = str(route[field])
    for field in ("metric", "mtu"):
        if route.get(field):
            result[field] = route[field]
    return result


def _common(device: Device, where: str) -> Document:
    """addCommonLinkConfig: addresses, routes, mtu."""
    common: Document = {}
    if device.get("addresses"):
        common["addresses"] = [{"address": _prefix(a, f"{where}.addresses[{i}]")}
                               for i, a in enumerate(device["addresses"])]
    if device.get("routes"):
        common["routes"] = [_route(r, f"{where}.routes[{i}]") for i, r in enumerate(device["routes"])]
    if device.get("mtu"):
        common["mtu"] = device["mtu"]
    return common


def _selector_expression(selector: dict[str, Any]) -> str:
    """buildDeviceSelectorCELExpression: every given field, ANDed, in talhelper's order."""
    conditions = []
    for field, template in (("hardwareAddr", 'glob("{}", mac(link.hardware_addr))'),
                            ("permanentAddr", 'glob("{}", mac(link.permanent_addr))'),
                            ("busPath", 'glob("{}", link.bus_path)'),
                            ("driver", 'glob("{}", link.driver)'),
                            ("pciID", 'glob("{}", link.pciid)')):
        if selector.get(field):
            conditions.append(template.format(selector[field]))
    if selector.get("physical") is not None:
        conditions.append("link.type == 1" if selector["physical"] else "link.type != 1")
    return " && ".join(conditions)


def _dhcp(name: str, options: dict[str, Any] | None) -> list[Document]:
    """generateDHCPConfigs: IPv4 unless dhcpOptions.ipv4 is false; IPv6 only when dhcpOptions.ipv6."""
    options = options or {}
    metric = options.get("routeMetric") or None
    documents = []
    if options.get("ipv4", True):
        documents.append(_doc("DHCPv4Config", name, routeMetric=metric))
    if options.get("ipv6", False):
        documents.append(_doc("DHCPv6Config", name, routeMetric=metric))
    return documents


def _refuse_unrendered(device: Device, where: str) -> None:
    for dotted, reason in _NO_COUNTERPART.items():
        head, _, tail = dotted.partition(".")
        value = device.get(head)
        if tail:
            value = value.get(tail) if isinstance(value, dict) else None
        if value not in (None, False, "", [], {}):
            raise ConfigError(f"{where}.{dotted}: has no Talos v1.12+ equivalent in talhelper's network "
                              f"translation; {reason}")


def _alias_names(devices: list[Device]) -> list[str | None]:
    """GenerateLinkAliasConfigBytes: a selected device without a name gets bondN/brN/wgN/ethSelN."""
    used = {str(d["interface"]) for d in devices if d.get("interface")}
    counters = {"bond": 0, "br": 0, "wg": 0, "ethSel": 0}
    names: list[str | None] = []
    for device in devices:
        name = str(device["interface"]) if device.get("interface") else None
        if name is None and device.get("deviceSelector"):
            base = "bond" if device.get("bond") else "br" if device.get("bridge") else \
                "wg" if device.get("wireguard") else "ethSel"
            while True:
                name = f"{base}{counters[base]}"
                counters[base] += 1
                if name not in used:
                    break
            used.add(name)
        names.append(name)
    return names


def _bond(device: Device, name: str, where: str) -> Document:
    bond = device["bond"]
    links = [str(link) for link in bond.get("interfaces") or []]
    links += [f"{name}-m{i}" for i in range(len(bond.get("deviceSelectors") or []))]
    fields: Document = {"links": links or None}
    for source, target in _BOND_FIELDS.items():
        if bond.get(source) not in (None, "", 0):
            fields[target] = bond[source]
    if bond.get("arpIPTarget"):
        fields["arpIpTargets"] = [str(ipaddress.ip_address(str(ip))) for ip in bond["arpIPTarget"]]
    return _doc("BondConfig", name, **fields, **_common(device, where))


def _bridge(device: Device, name: str, where: str) -> Document:
    bridge = device["bridge"]
    stp = (bridge.get("stp") or {}).get("enabled")
    filtering = (bridge.get("vlan") or {}).get("vlanFiltering")
    return _doc("BridgeConfig", name, links=[str(i) for i in bridge.get("interfaces") or []] or None,
                stp={"enabled": stp} if stp is not None else None,
                vlan={"filtering": filtering} if filtering else None, **_common(device, where))


def _wireguard(device: Device, name: str, where: str) -> Document:
    wireguard = device["wireguard"]
    peers = []
    for i, peer in enumerate(wireguard.get("peers") or []):
        endpoint = peer.get("endpoint")
        if endpoint:
            host, _, port = str(endpoint).rpartition(":")
            try:
                ipaddress.ip_address(host.strip("[]"))
                int(port)
            except ValueError:
                raise ConfigError(f"{where}.wireguard.peers[{i}].endpoint: expected ip:port as Talos v1.12+ "
                                  f"WireguardConfig needs, got {endpoint!r}") from None
        peers.append({key: value for key, value in (
            ("publicKey", peer.get("publicKey") or None), ("endpoint", endpoint or None),
            ("persistentKeepaliveInterval", peer.get("persistentKeepaliveInterval") or None),
            ("allowedIPs", [_allowed_ip(n, f"{where}.wireguard.peers[{i}].allowedIPs[{j}]")
                            for j, n in enumerate(peer.get("allowedIPs") or [])] or None)) if value is not None})
    return _doc("WireguardConfig", name, privateKey=wireguard.get("privateKey") or None,
                listenPort=wireguard.get("listenPort") or None, firewallMark=wireguard.get("firewallMark") or None,
                peers=peers or None, **_common(device, where))


def _vlans(device: Device, name: str, where: str) -> list[Document]:
    documents: list[Document] = []
    for i, vlan in enumerate(device.get("vlans") or []):
        if not vlan.get("vlanId"):
            continue  # GenerateVLANConfig: no document without a VLAN id
        vlan_name = f"{name}.{vlan['vlanId']}"
        documents.append(_doc("VLANConfig", vlan_name, vlanID=vlan["vlanId"], parent=name,
                              **_common(vlan, f"{where}.vlans[{i}]")))
        if vlan.get("dhcp"):
            documents += _dhcp(vlan_name, vlan.get("dhcpOptions"))
        if (vlan.get("vip") or {}).get("ip"):
            documents.append(_doc("Layer2VIPConfig", str(vlan["vip"]["ip"]), link=vlan_name))
    return documents


def network_documents(devices: list[Device], where: str) -> list[Document]:
    """genMultiDocs' network part, in its order: link aliases, bond member aliases, bonds, DHCP,
    VIPs, links, VLANs, WireGuard, bridges."""
    for i, device in enumerate(devices):
        _refuse_unrendered(device, f"{where}[{i}]")
    names = _alias_names(devices)
    groups: dict[str, list[Document]] = {key: [] for key in
                                         ("alias", "member", "bond", "dhcp", "vip", "link", "vlan", "wg", "br")}
    for i, (device, name) in enumerate(zip(devices, names, strict=True)):
        at = f"{where}[{i}]"
        special = device.get("bond") or device.get("bridge") or device.get("wireguard")
        if name is None:
            if special or device.get("dhcp") or device.get("vip") or device.get("vlans") or _common(device, at):
                raise ConfigError(f"{at}.interface: is required (or deviceSelector) for Talos v1.12+ network "
                                  "documents, which are named by their link")
            continue
        if device.get("deviceSelector"):
            expression = _selector_expression(device["deviceSelector"])
            if expression:
                groups["alias"].append(_doc("LinkAliasConfig", name, selector={"match": expression}))
        bond = device.get("bond")
        if bond:
            for j, selector in enumerate(bond.get("deviceSelectors") or []):
                expression = _selector_expression(selector)
                if expression:
                    groups["member"].append(_doc("LinkAliasConfig", f"{name}-m{j}", selector={"match": expression}))
            groups["bond"].append(_bond(device, name, at))
        if device.get("dhcp"):
            groups["dhcp"] += _dhcp(name, device.get("dhcpOptions"))
        if (device.get("vip") or {}).get("ip"):
            groups["vip"].append(_doc("Layer2VIPConfig", str(device["vip"]["ip"]), link=name))
        common = _common(device, at)
        if not special and common:  # hasSpecialConfig devices carry these in their own document
            groups["link"].append(_doc("LinkConfig", name, **common))
        groups["vlan"] += _vlans(device, name, at)
        if device.get("wireguard"):
            groups["wg"].append(_wireguard(device, name, at))
        if device.get("bridge"):
            groups["br"].append(_bridge(device, name, at))
    return [document for group in groups.values() for document in group]


def resolver_document(nameservers: list[str], disable_search_domain: bool) -> Document:
    """GenerateResolverConfig: searchDomains.disableDefault is always written (a set *bool)."""
    return _doc("ResolverConfig", nameservers=[{"address": str(server)} for server in nameservers] or None,
                searchDomains={"disableDefault": bool(disable_search_domain)})


def hostname_document(hostname: str, ignore_hostname: bool) -> Document:
    """GenerateNetworkHostnameConfig: ignoreHostname means a stable hostname, else this one with auto off."""
    if ignore_hostname:
        return _doc("HostnameConfig", auto="stable")
    return _doc("HostnameConfig", hostname=hostname or None, auto="off")
