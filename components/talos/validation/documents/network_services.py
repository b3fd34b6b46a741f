"""Talos's checks of the addressing and host-service documents (siderolabs/talos
pkg/machinery/config/types/network, v1.14.0-rc.1): DHCPv4Config, DHCPv6Config, Layer2VIPConfig,
HCloudVIPConfig, HostnameConfig, ResolverConfig, TimeSyncConfig, KubeSpanConfig, TCPProbeConfig and
HTTPProbeConfig."""

from __future__ import annotations

from typing import Any

from ...goduration import format_duration, parse_duration
from ..registry import Context, Document, document_check, not_applicable
from .netcommon import (
    NetipError,
    Report,
    go_int,
    go_quote,
    go_string,
    indexed_mappings,
    is_ip,
    items,
    mapping,
    optional_url,
    parse_addr,
    parse_prefix,
)


def _negative_duration(value: Any) -> int | None:
    """A time.Duration field's value when below zero (one that does not parse is the decoder's error)."""
    text = go_string(value)
    duration = parse_duration(text) if text else None
    return duration if duration is not None and duration < 0 else None


# --- dhcp4.go, dhcp6.go ------------------------------------------------------------------------------------

def _dhcp_problems(report: Report, document: Document, rules: tuple[str, str, str]) -> None:
    name_rule, raw_without_duid, duid_without_raw = rules
    if go_string(document.get("name")) == "":
        report.fail(name_rule, "name must be specified")
    identifier = go_string(document.get("clientIdentifier"))
    duid = (identifier or "").lower() == "duid"  # nethelpers.ClientIdentifier decodes case-insensitively
    has_raw = bool(go_string(document.get("duidRaw")))
    if has_raw and not duid:
        report.fail(raw_without_duid, "duidRaw can only be set if clientIdentifier is 'duid'")
    if duid and not has_raw:
        report.fail(duid_without_raw, "duidRaw must be set if clientIdentifier is 'duid'")


@document_check("DHCPv4Config", "R265", "R266", "R267")
def dhcpv4_config(document: Document, ctx: Context) -> None:
    _dhcp_problems(Report(ctx, document), document, ("R265", "R266", "R267"))


@document_check("DHCPv6Config", "R268", "R269", "R270")
def dhcpv6_config(document: Document, ctx: Context) -> None:
    _dhcp_problems(Report(ctx, document), document, ("R268", "R269", "R270"))


# --- layer2_vip.go, hcloud_vip.go --------------------------------------------------------------------------

def _vip_problems(report: Report, document: Document, rules: tuple[str, str, str]) -> None:
    name_rule, address_rule, link_rule = rules
    name = go_string(document.get("name"))
    if name == "":
        report.fail(name_rule, "name must be specified")
    elif name is not None:
        try:
            parse_addr(name)
        except NetipError as error:
            report.fail(address_rule, f"name must be a valid IP address: {error}")
    if go_string(document.get("link")) == "":
        report.fail(link_rule, "link must be specified")


@document_check("Layer2VIPConfig", "R292", "R293", "R294")
def layer2_vip_config(document: Document, ctx: Context) -> None:
    _vip_problems(Report(ctx, document), document, ("R292", "R293", "R294"))


@document_check("HCloudVIPConfig", "R273", "R274", "R275", "R276")
def hcloud_vip_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _vip_problems(report, document, ("R273", "R274", "R275"))
    # a shape-only render (placeholder secrets) has the key with an empty value
    if go_string(document.get("apiToken")) == "" and not (ctx.placeholder_secrets and "apiToken" in document):
        report.fail("R276", "apiToken must be specified")


# --- hostname.go -------------------------------------------------------------------------------------------

_AUTO_HOSTNAME_KINDS = ("off", "talos-addr", "stable")  # nethelpers.AutoHostnameKind


@document_check("HostnameConfig", "R277", "R278", "R279", "R280", "R281")
def hostname_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    auto_value, hostname = document.get("auto"), go_string(document.get("hostname"))
    auto = None if auto_value is None else (go_string(auto_value) or "").lower()
    if hostname is None or (auto is not None and auto not in _AUTO_HOSTNAME_KINDS):
        return  # the decoder refuses the value
    if auto is None and hostname == "":
        report.fail("R277", "either 'auto' or 'hostname' must be set")
    if (auto or "off") != "off" and hostname:
        report.fail("R278", "'auto' and 'hostname' cannot be set at the same time")
    if auto == "talos-addr":
        report.fail("R279", "invalid value for 'auto': talos-addr")
    if hostname:
        if len(hostname.encode("utf-8")) > 253:
            report.fail("R280", f"fqdn is too long: {len(hostname.encode('utf-8'))}")
        label = hostname.partition(".")[0]
        if not label or len(label.encode("utf-8")) > 63:
            report.fail("R281", f"invalid hostname {go_quote(label)}")


# --- resolver.go -------------------------------------------------------------------------------------------

not_applicable("unreachable: protocol decodes through nethelpers.DNSProtocol's UnmarshalText, which accepts only "
               "Do53, DoT and DoH; anything else fails in the decoder before Validate runs", "R321")


@document_check("ResolverConfig", "R316", "R317", "R318", "R319", "R320", "R322")
def resolver_config(document: Document, ctx: Context) -> None:
    """resolver.go ResolverConfigV1Alpha1.Validate (its all-encrypted-DNS warning is not a rejection)."""
    report = Report(ctx, document)
    host_dns = mapping(document.get("hostDNS"))
    fields = ("enabled", "forwardKubeDNSToHost", "resolveMemberNames")
    if any(host_dns.get(field) is not None for field in fields) and host_dns.get("enabled") is not True:
        if host_dns.get("forwardKubeDNSToHost") is True:
            report.fail("R316", "hostDNS.forwardKubeDNSToHost cannot be enabled when hostDNS.enabled is false")
        if host_dns.get("resolveMemberNames") is True:
            report.fail("R317", "hostDNS.resolveMemberNames cannot be enabled when hostDNS.enabled is false")
    for index, nameserver in indexed_mappings(document.get("nameservers")):
        protocol = (go_string(nameserver.get("protocol")) or "do53").lower()
        server_name = go_string(nameserver.get("tlsServerName")) or ""
        if protocol == "dot" and not server_name:
            report.fail("R318", f"tlsServerName must be set when protocol is DoT: entry {index}")
        elif protocol == "doh" and not server_name:
            report.fail("R319", f"tlsServerName must be set when protocol is DoH: entry {index}")
        elif protocol == "do53" and server_name:
            report.fail("R320", f"tlsServerName must be empty when protocol is Do53: entry {index}")
        if go_string(nameserver.get("address")) == "":
            report.fail("R322", f"nameserver address must be a valid IP: entry {index}")


# --- time_sync.go ------------------------------------------------------------------------------------------

@document_check("TimeSyncConfig", "R340", "R341", "R342")
def time_sync_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    if _negative_duration(document.get("bootTimeout")) is not None:
        report.fail("R340", "bootTimeout cannot be negative")
    ntp = document.get("ntp")
    if ntp is not None and document.get("ptp") is not None:
        report.fail("R341", "only one of ntp or ptp configuration can be specified")
    ntp = mapping(ntp)
    if ntp.get("useNTS") is True:
        for server in items(ntp.get("servers")):
            text = go_string(server)
            if text is not None and is_ip(text):
                report.fail("R342", f"NTS requires hostnames, not IP addresses: {go_quote(text)}")


# --- kubespan.go -------------------------------------------------------------------------------------------

KUBESPAN_LINK_MINIMUM_MTU = 1280  # constants.KubeSpanLinkMinimumMTU


def _subnet_or_address(text: str) -> bool:
    """siderolabs/net ParseSubnetOrAddress: a prefix, or a bare address."""
    try:
        parse_prefix(text)
    except NetipError:
        try:
            parse_addr(text)
        except NetipError:
            return False
    return True


@document_check("KubeSpanConfig", "R289", "R290")
def kubespan_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    mtu = go_int(document.get("mtu"))
    if document.get("mtu") is not None and mtu is not None and mtu < KUBESPAN_LINK_MINIMUM_MTU:
        report.fail("R289", f"kubespan link MTU must be at least {KUBESPAN_LINK_MINIMUM_MTU}")
    for value in items(mapping(document.get("filters")).get("endpoints")):
        text = go_string(value)
        if text is None:
            continue
        cidr = text.removeprefix("!")
        if not _subnet_or_address(cidr):
            report.fail("R290", f"KubeSpan endpoint filter is not valid: {go_quote(cidr)}")


# --- tcp_probe.go, http_probe.go ---------------------------------------------------------------------------

def _common_probe_problems(report: Report, document: Document) -> None:
    """tcp_probe.go CommonProbeConfig.Validate."""
    interval = _negative_duration(document.get("interval"))
    if interval is not None:
        report.fail("R338", f"probe interval cannot be negative: {format_duration(interval)}")
    threshold = go_int(document.get("failureThreshold"))
    if threshold is not None and threshold < 0:
        report.fail("R339", f"probe failure threshold cannot be negative: {threshold}")


@document_check("TCPProbeConfig", "R335", "R336", "R337", "R338", "R339")
def tcp_probe_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    if go_string(document.get("name")) == "":
        report.fail("R335", "probe name is required")
    if go_string(document.get("endpoint")) == "":
        report.fail("R336", "TCP probe endpoint is required")
    timeout = _negative_duration(document.get("timeout"))
    if timeout is not None:
        report.fail("R337", f"TCP probe timeout cannot be negative: {format_duration(timeout)}")
    _common_probe_problems(report, document)


@document_check("HTTPProbeConfig", "R284", "R285", "R286", "R287", "R288")
def http_probe_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    if go_string(document.get("name")) == "":
        report.fail("R284", "probe name is required")
    url = optional_url(document.get("url"))
    if go_string(document.get("url")) == "":
        report.fail("R285", "HTTP probe URL is required")
    elif url is not None:
        if url.scheme not in ("http", "https"):
            report.fail("R286", f"HTTP probe URL scheme must be http or https, got {go_quote(url.scheme)}")
        elif url.opaque or not url.hostname:
            report.fail("R287", "HTTP probe URL must be an absolute http or https URL with a non-empty host")
    timeout = _negative_duration(document.get("timeout"))
    if timeout is not None:
        report.fail("R288", f"HTTP probe timeout cannot be negative: {format_duration(timeout)}")
    _common_probe_problems(report, document)
