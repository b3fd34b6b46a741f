"""Talos's checks of routing and filtering documents (siderolabs/talos pkg/machinery/config/types/network,
v1.14.0-rc.1): BGPInstanceConfig (bgp.go), BlackholeRouteConfig, RoutingRuleConfig, StaticHostConfig and
NetworkRuleConfig with its port ranges (rule_config.go, port_range.go)."""

from __future__ import annotations

from typing import Any

from ...golang import error_of
from ...golang.netip import Prefix, parse_addr, parse_prefix
from ...golang.strconv import parse_uint, quote
from ..registry import Context, Document, document_check, not_applicable
from ..values import address, duration, indexed, items, mapping, number, prefix, text

# --- bgp.go ------------------------------------------------------------------------------------------------

@document_check("BGPInstanceConfig", "R242", "R243", "R244", "R245", "R246", "R247", "R248", "R249", "R250", "R251",
                "R252", "R253", "R254", "R255", "R256", "R257", "R258")
def bgp_instance_config(document: Document, ctx: Context) -> None:
    """bgp.go BGPInstanceConfigV1Alpha1.Validate (its "no neighbors" warning is not in Talos's rejections)."""
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R242", "name must be specified")
    if number(document.get("localASN")) == 0:
        ctx.fail("R243", "localASN must be specified")
    router_id = address(document.get("routerID"))
    if router_id is not None and router_id.version != 4:
        ctx.fail("R244", "routerID must be an IPv4 address")
    vrf = text(document.get("vrf"))
    seen: set[str] = set()
    for index, neighbor in indexed(document.get("neighbors")):
        key = _neighbor_key(ctx, index, neighbor)
        _neighbor_behaviour(ctx, index, neighbor, vrf)
        if key is None:
            continue
        if key in seen:
            ctx.fail("R245", f"neighbor[{index}]: duplicate neighbor {quote(key)}")
        seen.add(key)
    _import_routes(ctx, name, document.get("importRoutes"))


def _neighbor_key(ctx: Context, index: int, neighbor: dict[str, Any]) -> str | None:
    """bgpNeighborKey: exactly one of address or link names the neighbor."""
    peer = address(neighbor.get("address"))
    link = text(neighbor.get("link"))
    if (peer is not None) == bool(link):
        ctx.fail("R254", f"neighbor[{index}]: exactly one of address or link must be set")
        return None
    return str(peer) if peer is not None else link


def _neighbor_behaviour(ctx: Context, index: int, neighbor: dict[str, Any], vrf: str) -> None:
    """validateBGPNeighborBehavior."""
    if duration(neighbor.get("holdTime")) < 0:
        ctx.fail("R255", f"neighbor[{index}]: holdTime must not be negative")
    bfd = neighbor.get("bfd")
    if bfd is None:
        return
    if vrf:
        ctx.fail("R256", f"neighbor[{index}]: bfd is not supported for VRF-bound BGP instances")
    bfd = mapping(bfd)
    if duration(bfd.get("transmitInterval")) < 0:
        ctx.fail("R257", f"neighbor[{index}]: bfd.transmitInterval must not be negative")
    if duration(bfd.get("receiveInterval")) < 0:
        ctx.fail("R258", f"neighbor[{index}]: bfd.receiveInterval must not be negative")


def _overlap(a: Prefix, b: Prefix) -> bool:
    """prefixesOverlap: same family and either contains the other's address."""
    return a.address.version == b.address.version and (b.address in a.network or a.address in b.network)


def _import_routes(ctx: Context, instance: str, routes: Any) -> None:
    """validateBGPImportRoutes."""
    seen_sources: set[str] = set()
    selectors: list[tuple[Prefix, int]] = []
    for index, route in indexed(routes):
        source = text(route.get("bgpInstance"))
        if source == "":
            ctx.fail("R248", f"importRoutes[{index}]: bgpInstance must be specified")
        elif source == instance:
            ctx.fail("R249", f"importRoutes[{index}]: cannot import from the same BGP instance {quote(instance)}")
        prefixes = _import_prefixes(ctx, index, route.get("prefixes"))
        if source:
            if source in seen_sources:
                ctx.fail("R246", f"importRoutes[{index}]: duplicate source BGP instance {quote(source)}")
            seen_sources.add(source)
        for selector in prefixes:
            if selector is None or not selector.masked:
                continue
            for other, other_index in selectors:
                if other_index != index and _overlap(other, selector):
                    ctx.fail("R247", f"importRoutes[{index}]: prefix {selector} overlaps importRoutes[{other_index}] "
                                     f"prefix {other}")
            selectors.append((selector, index))


def _import_prefixes(ctx: Context, index: int, values: Any) -> list[Prefix | None]:
    """validateBGPImportPrefixes; returns the prefixes as decoded (None for the zero prefix)."""
    prefixes: list[Prefix | None] = [prefix(value) for value in items(values)]
    if not prefixes:
        ctx.fail("R250", f"importRoutes[{index}]: at least one prefix must be specified")
    for position, selector in enumerate(prefixes):
        if selector is None:
            ctx.fail("R251", f"importRoutes[{index}].prefixes[{position}]: invalid prefix")
            continue
        if not selector.masked:
            ctx.fail("R252", f"importRoutes[{index}].prefixes[{position}]: prefix {selector} must be masked")
        for earlier in range(position):
            other = prefixes[earlier]
            if other is not None and _overlap(other, selector):
                ctx.fail("R253", f"importRoutes[{index}].prefixes[{position}]: prefix {selector} overlaps "
                                 f"prefixes[{earlier}] {other}")
    return prefixes


# --- blackhole_route.go, static_host.go --------------------------------------------------------------------

@document_check("BlackholeRouteConfig", "R259", "R260")
def blackhole_route_config(document: Document, ctx: Context) -> None:
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R259", "name must be specified")
    if problem := error_of(parse_prefix, name):
        ctx.fail("R260", f"name must be a valid address prefix: {problem}")


@document_check("StaticHostConfig", "R332", "R333", "R334")
def static_host_config(document: Document, ctx: Context) -> None:
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R332", "name is required")
    if error_of(parse_addr, name):
        ctx.fail("R333", "name must be a valid IP address")
    if not items(document.get("hostnames")):
        ctx.fail("R334", "at least one hostname is required")


# --- routing_rule.go ---------------------------------------------------------------------------------------

# constants.LinuxReservedRulePriorityLocal, KubeSpanDefaultRulePriority, LinuxReservedRulePriorityMain,
# LinuxReservedRulePriorityDefault, in Talos's order (printed with %v)
_RESERVED_PRIORITIES = (0, 32500, 32766, 32767)
_UINT32 = (1 << 32) - 1


def _parse_uint32(name: str) -> tuple[int, str | None]:
    """strconv.ParseUint(name, 10, 32): (value, error); a syntax error yields 0, a range error the maximum."""
    try:
        return parse_uint(name, 32), None
    except ValueError as error:
        return (_UINT32 if "out of range" in str(error) else 0), str(error)


@document_check("RoutingRuleConfig", "R323", "R324", "R325", "R326", "R327")
def routing_rule_config(document: Document, ctx: Context) -> None:
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R323", "name must be specified")
    priority, error = _parse_uint32(name)
    if error:
        ctx.fail("R324", f"invalid name: must be priority parsable unsigned integer: {error}")
    if priority in _RESERVED_PRIORITIES:
        reserved = " ".join(str(value) for value in _RESERVED_PRIORITIES)
        ctx.fail("R325", f"priority must be between 1 and 32765 (excluding reserved priorities [{reserved}])")
    table, action = text(document.get("table")).lower(), text(document.get("action")).lower()
    if (table or "unspec") == "unspec" and (action or "unspec") in ("unspec", "unicast"):
        ctx.fail("R326", "either table or a non-unicast action must be specified")
    mark, mask = number(document.get("fwMark")), number(document.get("fwMask"))
    if mask and mark == 0:
        ctx.fail("R327", "fwMask requires fwMark to be set")


# --- rule_config.go, port_range.go -------------------------------------------------------------------------

not_applicable("unreachable: except is a meta.Prefix, which decodes to the zero prefix (skipped) or a valid one; "
               "text that does not parse fails in the decoder (R011) before Validate runs", "R331")


def _port_range(value: Any) -> tuple[int, int]:
    """PortRange as decoded (decoder_values.py refused any other): a port number, or "lo-hi"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    low, _, high = text(value).partition("-")
    return (int(low), int(high)) if low.isdigit() and high.isdigit() else (0, 0)


def _port_ranges_problem(ranges: list[tuple[int, int]]) -> tuple[str, str] | None:
    """PortRanges.Validate: the first range that is reversed or overlaps the one before it, by start port."""
    ordered = sorted(ranges, key=lambda port_range: port_range[0])
    for index, (low, high) in enumerate(ordered):
        if low > high:
            return "R309", f"invalid port range: {low}-{high}"
        if index:
            previous = ordered[index - 1]
            if low == previous[0]:
                return "R310", f"invalid port range: {low}-{high}, overlaps with {previous[0]}-{previous[1]}"
            if low <= previous[1]:
                return "R311", f"invalid port range: {low}-{high}, overlaps with {previous[0]}-{previous[1]}"
    return None


@document_check("NetworkRuleConfig", "R309", "R310", "R311", "R328", "R329", "R330")
def network_rule_config(document: Document, ctx: Context) -> None:
    """rule_config.go RuleConfigV1Alpha1.Validate returns its first error (a port that does not decode,
    PortRange.UnmarshalYAML, is the decoder's)."""
    ranges = [_port_range(value) for value in items(mapping(document.get("portSelector")).get("ports"))]
    if text(document.get("name")) == "":
        ctx.fail("R328", "name is required")
        return
    if not ranges:
        ctx.fail("R329", "portSelector.ports is required")
        return
    problem = _port_ranges_problem(ranges)
    if problem:
        ctx.fail(*problem)
        return
    for _, rule in indexed(document.get("ingress")):
        if prefix(rule.get("subnet")) is None:
            ctx.fail("R330", "invalid subnet: invalid Prefix")
            return
