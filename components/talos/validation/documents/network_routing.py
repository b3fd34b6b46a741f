"""Talos's checks of routing and filtering documents (siderolabs/talos pkg/machinery/config/types/network,
v1.14.0-rc.1): BGPInstanceConfig (bgp.go), BlackholeRouteConfig, RoutingRuleConfig, StaticHostConfig and
NetworkRuleConfig with its port ranges (rule_config.go, port_range.go)."""

from __future__ import annotations

import re
from typing import Any

from ...goduration import parse_duration
from ..registry import Context, Document, document_check, not_applicable
from .netcommon import (
    NetipError,
    Prefix,
    Report,
    go_int,
    go_quote,
    go_string,
    indexed_mappings,
    items,
    mapping,
    optional,
    parse_addr,
    parse_prefix,
    prefix_of,
)


def _negative(value: Any) -> bool:
    """A time.Duration field below zero (a duration that does not parse is the decoder's error)."""
    text = go_string(value)
    duration = parse_duration(text) if text else None
    return duration is not None and duration < 0


# --- bgp.go ------------------------------------------------------------------------------------------------

@document_check("BGPInstanceConfig", "R242", "R243", "R244", "R245", "R246", "R247", "R248", "R249", "R250", "R251",
                "R252", "R253", "R254", "R255", "R256", "R257", "R258")
def bgp_instance_config(document: Document, ctx: Context) -> None:
    """bgp.go BGPInstanceConfigV1Alpha1.Validate (its "no neighbors" warning is not in Talos's rejections)."""
    report = Report(ctx, document)
    name = go_string(document.get("name"))
    if name == "":
        report.fail("R242", "name must be specified")
    if go_int(document.get("localASN")) == 0:
        report.fail("R243", "localASN must be specified")
    router_id = optional(parse_addr, document.get("routerID"))
    if router_id is not None and router_id.version != 4:
        report.fail("R244", "routerID must be an IPv4 address")
    vrf = go_string(document.get("vrf")) or ""
    seen: set[str] = set()
    for index, neighbor in indexed_mappings(document.get("neighbors")):
        key = _neighbor_key(report, index, neighbor)
        _neighbor_behaviour(report, index, neighbor, vrf)
        if key is None:
            continue
        if key in seen:
            report.fail("R245", f"neighbor[{index}]: duplicate neighbor {go_quote(key)}")
        seen.add(key)
    _import_routes(report, name or "", document.get("importRoutes"))


def _neighbor_key(report: Report, index: int, neighbor: dict[str, Any]) -> str | None:
    """bgpNeighborKey: exactly one of address or link names the neighbor."""
    address = optional(parse_addr, neighbor.get("address"))
    link = go_string(neighbor.get("link")) or ""
    if (address is not None) == bool(link):
        report.fail("R254", f"neighbor[{index}]: exactly one of address or link must be set")
        return None
    return str(address) if address is not None else link


def _neighbor_behaviour(report: Report, index: int, neighbor: dict[str, Any], vrf: str) -> None:
    """validateBGPNeighborBehavior."""
    if _negative(neighbor.get("holdTime")):
        report.fail("R255", f"neighbor[{index}]: holdTime must not be negative")
    bfd = neighbor.get("bfd")
    if bfd is None:
        return
    if vrf:
        report.fail("R256", f"neighbor[{index}]: bfd is not supported for VRF-bound BGP instances")
    bfd = mapping(bfd)
    if _negative(bfd.get("transmitInterval")):
        report.fail("R257", f"neighbor[{index}]: bfd.transmitInterval must not be negative")
    if _negative(bfd.get("receiveInterval")):
        report.fail("R258", f"neighbor[{index}]: bfd.receiveInterval must not be negative")


def _overlap(a: Prefix, b: Prefix) -> bool:
    """prefixesOverlap: same family and either contains the other's address."""
    return a.address.version == b.address.version and (b.address in a.network or a.address in b.network)


def _import_routes(report: Report, instance: str, routes: Any) -> None:
    """validateBGPImportRoutes."""
    seen_sources: set[str] = set()
    selectors: list[tuple[Prefix, int]] = []
    for index, route in indexed_mappings(routes):
        source = go_string(route.get("bgpInstance")) or ""
        if source == "":
            report.fail("R248", f"importRoutes[{index}]: bgpInstance must be specified")
        elif source == instance:
            report.fail("R249", f"importRoutes[{index}]: cannot import from the same BGP instance {go_quote(instance)}")
        prefixes = _import_prefixes(report, index, route.get("prefixes"))
        if source:
            if source in seen_sources:
                report.fail("R246", f"importRoutes[{index}]: duplicate source BGP instance {go_quote(source)}")
            seen_sources.add(source)
        for prefix in prefixes:
            if prefix is None or not prefix.masked:
                continue
            for other, other_index in selectors:
                if other_index != index and _overlap(other, prefix):
                    report.fail("R247", f"importRoutes[{index}]: prefix {prefix} overlaps importRoutes[{other_index}] "
                                        f"prefix {other}")
            selectors.append((prefix, index))


def _import_prefixes(report: Report, index: int, values: Any) -> list[Prefix | None]:
    """validateBGPImportPrefixes; returns the prefixes as decoded (None for the zero prefix)."""
    prefixes: list[Prefix | None] = [optional(prefix_of, value) for value in items(values)]
    if not prefixes:
        report.fail("R250", f"importRoutes[{index}]: at least one prefix must be specified")
    for position, prefix in enumerate(prefixes):
        if prefix is None:
            report.fail("R251", f"importRoutes[{index}].prefixes[{position}]: invalid prefix")
            continue
        if not prefix.masked:
            report.fail("R252", f"importRoutes[{index}].prefixes[{position}]: prefix {prefix} must be masked")
        for earlier in range(position):
            other = prefixes[earlier]
            if other is not None and _overlap(other, prefix):
                report.fail("R253", f"importRoutes[{index}].prefixes[{position}]: prefix {prefix} overlaps "
                                    f"prefixes[{earlier}] {other}")
    return prefixes


# --- blackhole_route.go, static_host.go --------------------------------------------------------------------

@document_check("BlackholeRouteConfig", "R259", "R260")
def blackhole_route_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    name = go_string(document.get("name"))
    if name is None:
        return
    if name == "":
        report.fail("R259", "name must be specified")
    try:
        parse_prefix(name)
    except NetipError as error:
        report.fail("R260", f"name must be a valid address prefix: {error}")


@document_check("StaticHostConfig", "R332", "R333", "R334")
def static_host_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    name = go_string(document.get("name"))
    if name is not None:
        if name == "":
            report.fail("R332", "name is required")
        try:
            parse_addr(name)
        except NetipError:
            report.fail("R333", "name must be a valid IP address")
    if not items(document.get("hostnames")):
        report.fail("R334", "at least one hostname is required")


# --- routing_rule.go ---------------------------------------------------------------------------------------

# constants.LinuxReservedRulePriorityLocal, KubeSpanDefaultRulePriority, LinuxReservedRulePriorityMain,
# LinuxReservedRulePriorityDefault, in Talos's order (printed with %v)
_RESERVED_PRIORITIES = (0, 32500, 32766, 32767)
_UINT32 = (1 << 32) - 1


def _parse_uint32(text: str) -> tuple[int, str | None]:
    """strconv.ParseUint(text, 10, 32): (value, error); a syntax error yields 0, a range error the maximum."""
    if not re.fullmatch(r"[0-9]+", text):
        return 0, f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax"
    value = int(text)
    if value > _UINT32:
        return _UINT32, f"strconv.ParseUint: parsing {go_quote(text)}: value out of range"
    return value, None


@document_check("RoutingRuleConfig", "R323", "R324", "R325", "R326", "R327")
def routing_rule_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    name = go_string(document.get("name"))
    if name is None:
        return
    if name == "":
        report.fail("R323", "name must be specified")
    priority, error = _parse_uint32(name)
    if error:
        report.fail("R324", f"invalid name: must be priority parsable unsigned integer: {error}")
    if priority in _RESERVED_PRIORITIES:
        reserved = " ".join(str(value) for value in _RESERVED_PRIORITIES)
        report.fail("R325", f"priority must be between 1 and 32765 (excluding reserved priorities [{reserved}])")
    table, action = go_string(document.get("table")), go_string(document.get("action"))
    if table is not None and action is not None and (table or "unspec").lower() == "unspec" \
            and (action or "unspec").lower() in ("unspec", "unicast"):
        report.fail("R326", "either table or a non-unicast action must be specified")
    mark, mask = go_int(document.get("fwMark")), go_int(document.get("fwMask"))
    if mask and mark == 0:
        report.fail("R327", "fwMask requires fwMark to be set")


# --- rule_config.go, port_range.go -------------------------------------------------------------------------

not_applicable("unreachable: except is a meta.Prefix, which decodes to the zero prefix (skipped) or a valid one; "
               "text that does not parse fails in the decoder before Validate runs", "R331")


def _port_range(value: Any) -> tuple[int, int] | tuple[str, str] | None:
    """PortRange.UnmarshalYAML: (lo, hi) from a port (a number that fits uint16) or "lo-hi"; else (rule,
    message), or None for a mapping or list (go-yaml's own type error, the decoder's to report)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return int(value), int(value)  # go-yaml decodes an integral number into uint16
    text = go_string(value)
    if text is None:
        return None
    low, dash, high = text.partition("-")
    if not dash:
        return "R306", f"invalid port range: {go_quote(text)}"
    if not re.fullmatch(r"[0-9]+", low) or int(low) > 0xFFFF:
        return "R307", f"invalid port range: {go_quote(text)}"
    if not re.fullmatch(r"[0-9]+", high) or int(high) > 0xFFFF:
        return "R308", f"invalid port range: {go_quote(text)}"
    return int(low), int(high)


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


@document_check("NetworkRuleConfig", "R306", "R307", "R308", "R309", "R310", "R311", "R328", "R329", "R330")
def network_rule_config(document: Document, ctx: Context) -> None:
    """rule_config.go RuleConfigV1Alpha1.Validate returns its first error; a port that does not decode
    (PortRange.UnmarshalYAML) stops the decoder before Validate runs."""
    report = Report(ctx, document)
    ranges: list[tuple[int, int]] = []
    for value in items(mapping(document.get("portSelector")).get("ports")):
        decoded = _port_range(value)
        if decoded is None:
            return
        low, high = decoded
        if isinstance(low, str) and isinstance(high, str):
            report.fail(low, high)
            return
        ranges.append((int(low), int(high)))
    if go_string(document.get("name")) == "":
        report.fail("R328", "name is required")
        return
    if not ranges:
        report.fail("R329", "portSelector.ports is required")
        return
    problem = _port_ranges_problem(ranges)
    if problem:
        report.fail(*problem)
        return
    for _, rule in indexed_mappings(document.get("ingress")):
        if go_string(rule.get("subnet")) == "":
            report.fail("R330", "invalid subnet: invalid Prefix")
            return
