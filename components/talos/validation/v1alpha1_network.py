"""The network part of Talos's v1alpha1 Config.Validate: ``.machine.network.interfaces`` (bonds, bridges,
WireGuard, VLANs, addresses, routes, VIPs), as siderolabs/talos pkg/machinery/config/types/v1alpha1/
v1alpha1_validation.go (v1.14.0-rc.1; the same in v1.12.9 and v1.13.9) checks it, with Talos's wording.

Called by the registered v1alpha1 checks (v1alpha1.py), which own the rule ids.
"""

from __future__ import annotations

from typing import Any

from . import goparse
from .registry import Context, not_applicable
from .values import dig, flag, items, mapping, number, present, quote, text

not_applicable("unreachable: ValidateNetworkDevices returns \"empty device\" (R504) for a null device before it "
               "calls the per-device checks", "R505", "R532", "R538")

_REQUIRED_EITHER = "required either config section to be set"  # ErrRequiredSectionOptions
_MUTUALLY_EXCLUSIVE = "config sections are mutually exclusive"  # ErrMutuallyExclusive
_EMPTY = "config section should contain at least one field"  # ErrEmpty
_INVALID_ADDRESS = "invalid network address"  # ErrInvalidAddress

# nethelpers BondModeByName and the other bond option parsers: accepted names, and each error's wording
_BOND_MODES = {"": "balance-rr", "balance-rr": "balance-rr", "active-backup": "active-backup",
               "balance-xor": "balance-xor", "broadcast": "broadcast", "802.3ad": "802.3ad",
               "balance-tlb": "balance-tlb", "balance-alb": "balance-alb"}
_BOND_OPTIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("xmitHashPolicy", ("", "layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4"), "invalid xmit hash policy"),
    ("lacpRate", ("", "slow", "fast"), "invalid lacp rate"),
    ("arpValidate", ("", "none", "active", "backup", "all", "filter", "filter-active", "filter-backup"),
     "invalid arp_validate mode"),
    ("arpAllTargets", ("", "any", "all"), "invalid arp_all_targets mode"),
    ("primaryReselect", ("", "always", "better", "failure"), "invalid primary_reselect mode"),
    ("failOverMac", ("", "none", "active", "follow"), "invalid fail_over_mac value"),
    ("adSelect", ("", "stable", "bandwidth", "count"), "invalid ad_select mode"),
)


def devices(machine: dict[str, Any]) -> list[Any]:
    return items(dig(machine, "network", "interfaces"))


def check_links(machine: dict[str, Any], ctx: Context) -> dict[str, str]:
    """Bond/bridge membership (R459-R461); returns interface -> the bond or bridge that holds it."""
    secondary: dict[str, str] = {}
    for device in devices(machine):
        device = mapping(device)
        name = text(device.get("interface"))
        bond, bridge = device.get("bond"), device.get("bridge")
        if bond is not None and bridge is not None:
            ctx.fail("R459", f"interface has both bridge and bond sections set {quote(name)}: {_MUTUALLY_EXCLUSIVE}")
        members: list[Any] = []
        if bond is not None:
            members = items(mapping(bond).get("interfaces"))
            if members and items(mapping(bond).get("deviceSelectors")):
                ctx.fail("R460",
                         f"interface {quote(name)} has both interfaces and selectors set: {_MUTUALLY_EXCLUSIVE}")
        if bridge is not None:
            members = items(mapping(bridge).get("interfaces"))
        for member in map(text, members):
            other = secondary.get(member)
            if other is not None and other != name:
                ctx.fail("R461", f"interface {quote(member)} is declared as part of two separate links: "
                                 f"{quote(other)} and {quote(name)}")
            secondary[member] = name
    return secondary


def check_devices(machine: dict[str, Any], secondary: dict[str, str], ctx: Context) -> None:
    """ValidateNetworkDevices with CheckDeviceInterface, CheckDeviceAddressing, CheckDeviceRoutes."""
    for device in devices(machine):
        if device is None:
            ctx.fail("R504", "empty device")
            continue
        device = mapping(device)
        if flag(device.get("ignore")):
            continue
        _check_interface(device, ctx)
        _check_addressing(device, secondary, ctx)
        _check_routes(device, ctx)


def _check_interface(device: dict[str, Any], ctx: Context) -> None:
    selector = device.get("deviceSelector")
    has_name = text(device.get("interface")) != ""
    if not has_name and selector is None:
        ctx.fail("R506", f"[networking.os.device.interface], [networking.os.device.deviceSelector]: {_REQUIRED_EITHER}")
    elif has_name and selector is not None:
        ctx.fail("R507", "[networking.os.device.interface], [networking.os.device.deviceSelector]: "
                         f"{_MUTUALLY_EXCLUSIVE}")
    # reflect IsZero on the selector struct: its fields are strings and a *bool (physical: false is set)
    if selector is not None and not any(v is not None and v != "" for v in mapping(selector).values()):
        ctx.fail("R508", f"[networking.os.device.deviceSelector]: {_EMPTY}")
    if device.get("bond") is not None:
        check_bond(mapping(device.get("bond")), ctx)
    if device.get("wireguard") is not None:
        _check_wireguard(mapping(device.get("wireguard")), ctx)
    if device.get("vlans") is not None:
        _check_vlans(device, ctx)


def check_bond(bond: dict[str, Any], ctx: Context) -> None:
    """checkBond: option names (nethelpers' parsers), then the mode-dependent options."""
    raw_mode = text(bond.get("mode"))
    mode = _BOND_MODES.get(raw_mode)
    if mode is None:
        ctx.fail("X01", f"invalid bond type {raw_mode}")
        mode = "balance-rr"  # BondModeByName returns the zero mode with its error
    for field, accepted, wording in _BOND_OPTIONS:
        value = text(bond.get(field))
        if value not in accepted:
            ctx.fail("X01", f"{wording} {value}")
    miimon, updelay, downdelay = number(bond.get("miimon")), number(bond.get("updelay")), number(bond.get("downdelay"))
    if miimon == 0:
        if updelay:
            ctx.fail("R509", "bond.upDelay can't be set if miiMon is zero")
        if downdelay:
            ctx.fail("R510", "bond.downDelay can't be set if miiMon is zero")
    else:
        if updelay % miimon:
            ctx.fail("R511", "bond.upDelay should be a multiple of miiMon")
        if downdelay % miimon:
            ctx.fail("R512", "bond.downDelay should be a multiple of miiMon")
    if items(bond.get("arpIPTarget")):
        ctx.fail("R513", "bond.arpIPTarget is not supported")
    if text(bond.get("lacpRate")) and mode != "802.3ad":
        ctx.fail("R514", "bond.lacpRate is only available in 802.3ad mode")
    if text(bond.get("adActorSystem")):
        ctx.fail("R515", "bond.adActorSystem is not supported")
    lacp_or_lb = mode in ("802.3ad", "balance-alb", "balance-tlb")
    if lacp_or_lb and text(bond.get("arpValidate")):
        ctx.fail("R516", f"bond.arpValidate is not available in {mode} mode")
    if mode not in ("active-backup", "balance-alb", "balance-tlb") and text(bond.get("primary")):
        ctx.fail("R517", f"bond.primary is not available in {mode} mode")
    if lacp_or_lb and number(bond.get("arpInterval")) > 0:
        ctx.fail("R518", f"bond.arpInterval is not available in {mode} mode")
    if mode != "balance-rr" and number(bond.get("packetsPerSlave")) > 1:
        ctx.fail("R519", f"bond.packetsPerSlave is not available in {mode} mode")
    if mode not in ("balance-alb", "balance-tlb") and number(bond.get("tlbDynamicLb")) > 0:
        ctx.fail("R520", f"bond.tlbDynamicTLB is not available in {mode} mode")
    if mode != "802.3ad" and number(bond.get("adActorSysPrio")) > 0:
        ctx.fail("R521", "bond.adActorSysPrio is only available in 802.3ad mode")
    if mode != "802.3ad" and number(bond.get("adUserPortKey")) > 0:
        ctx.fail("R522", "bond.adUserPortKey is only available in 802.3ad mode")


def _key_error(key: str, *, secret: bool) -> str | None:
    """checkWireguard's checkKey: base64 of exactly 32 bytes. A private key is never echoed (the project's
    rule: no secret in an error), where Talos quotes it."""
    length, error = goparse.base64_decode(key)
    if error:
        return error
    if length != 32:
        shown = "(the private key, not shown)" if secret else quote(key)
        return f"wrong key {shown} length: {length}"
    return None


def _check_wireguard(wireguard: dict[str, Any], ctx: Context) -> None:
    problem = _key_error(text(wireguard.get("privateKey")), secret=True)
    if problem:
        ctx.fail("R524", f"private key is invalid: {problem}", inner="R523" if "wrong key" in problem else ())
    for peer in items(wireguard.get("peers")):
        peer = mapping(peer)
        problem = _key_error(text(peer.get("publicKey")), secret=False)
        if problem:
            ctx.fail("R525", f"public key invalid: {problem}", inner="R523" if "wrong key" in problem else ())
        endpoint = text(peer.get("endpoint"))
        if endpoint and not goparse.address_contains_port(endpoint):
            ctx.fail("R526", f"peer endpoint {quote(endpoint)} is invalid")
        for allowed in map(text, items(peer.get("allowedIPs"))):
            problem = goparse.parse_cidr(allowed)
            if problem:
                ctx.fail("R527", f"peer allowed IP {quote(allowed)} is invalid: {problem}")


def ip_or_cidr_error(address: str) -> tuple[str, tuple[str, ...]] | None:
    """validateIPOrCIDR: the error, and R531 when it is the "failed to parse IP address" one."""
    if "/" in address:
        problem = goparse.parse_cidr(address)
        return (problem, ()) if problem else None
    if goparse.parse_ip(address) is None:
        return f"failed to parse IP address {quote(address)}", ("R531",)
    return None


def _check_vlans(device: dict[str, Any], ctx: Context) -> None:
    name = text(device.get("interface"))
    for vlan in items(device.get("vlans")):
        vlan = mapping(vlan)
        vid = number(vlan.get("vlanId"))
        cidr = text(vlan.get("cidr"))
        if items(vlan.get("addresses")) and cidr:
            ctx.fail("R528", f"[networking.os.device.vlan] {name}.{vid}: vlan can't have both .cidr and .addresses set")
        if cidr and (found := ip_or_cidr_error(cidr)):
            ctx.fail("R529", f"[networking.os.device.vlan.CIDR] {name}.{vid}: {found[0]}", inner=found[1])
        for address in map(text, items(vlan.get("addresses"))):
            if found := ip_or_cidr_error(address):
                ctx.fail("R530", f"[networking.os.device.vlan.addresses] {name}.{vid}: {found[0]}", inner=found[1])


def _check_addressing(device: dict[str, Any], secondary: dict[str, str], ctx: Context) -> None:
    name = text(device.get("interface"))
    cidr = text(device.get("cidr"))
    addresses = items(device.get("addresses"))
    if name in secondary and (flag(device.get("dhcp")) or cidr or addresses or device.get("vip") is not None):
        ctx.fail("R533", f"[networking.os.device] {quote(name)}: bonded/bridged interface shouldn't have any "
                         "addressing methods configured")
    if addresses and cidr:
        ctx.fail("R534", f"[networking.os.device] {quote(name)}: interface can't have both .cidr and .addresses set")
    if cidr:
        if found := ip_or_cidr_error(cidr):
            ctx.fail("R535", f"[networking.os.device.CIDR] {quote(name)}: {found[0]}", inner=found[1])
        ctx.warn("R482", f"{quote(name)}: machine.network.interface.cidr is deprecated, please use "
                         "machine.network.interface.addresses")
    for address in map(text, addresses):
        if found := ip_or_cidr_error(address):
            ctx.fail("R536", f"[networking.os.device.addresses] {quote(name)}: {found[0]}", inner=found[1])
    if device.get("vip") is not None:
        ip = text(mapping(device.get("vip")).get("ip"))
        if goparse.parse_ip(ip) is None:
            ctx.fail("R537", f"[networking.os.device.vip] failed to parse {quote(ip)} as IP address")


def _check_routes(device: dict[str, Any], ctx: Context) -> None:
    for index, route in enumerate(items(device.get("routes"))):
        route = mapping(route)
        where = f"networking.os.device.route[{index}]"
        network, gateway, source = text(route.get("network")), text(route.get("gateway")), text(route.get("source"))
        if network and goparse.parse_cidr(network):
            ctx.fail("R539", f"[{where}.network] {quote(network)}: {_INVALID_ADDRESS}")
        if gateway and goparse.parse_ip(gateway) is None:
            ctx.fail("R540", f"[{where}.gateway] {quote(gateway)}: {_INVALID_ADDRESS}")
        if not gateway and not network:
            ctx.fail("R541", f"[{where}]: either network or gateway should be set")
        if source and goparse.parse_ip(source) is None:
            ctx.fail("R542", f"[{where}.source] {quote(source)}: {_INVALID_ADDRESS}")


def worker_vips(machine: dict[str, Any], ctx: Context) -> None:
    """A worker has no VIP, on an interface or a VLAN (R453, R454)."""
    for device in devices(machine):
        device = mapping(device)
        if device.get("vip") is not None:
            ctx.fail("R453", "virtual (shared) IP is not allowed on non-controlplane nodes")
        for vlan in items(device.get("vlans")):
            if present(vlan, "vip"):
                ctx.fail("R454", "virtual (shared) IP is not allowed on non-controlplane nodes")
