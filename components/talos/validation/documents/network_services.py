"""Talos's checks of the addressing and host-service documents (siderolabs/talos
pkg/machinery/config/types/network, v1.14.0-rc.1): DHCPv4Config, DHCPv6Config, Layer2VIPConfig,
HCloudVIPConfig, HostnameConfig, ResolverConfig, TimeSyncConfig, KubeSpanConfig, TCPProbeConfig and
HTTPProbeConfig."""

from __future__ import annotations

from ...golang import error_of
from ...golang.durations import format_duration
from ...golang.netip import parse_addr, parse_ip, parse_subnet_or_address
from ...golang.strconv import byte_length, quote
from ..registry import Context, Document, document_check, not_applicable
from ..values import address, duration, indexed, items, mapping, number, present, text, url_of

# --- dhcp4.go, dhcp6.go ------------------------------------------------------------------------------------

def _dhcp_problems(ctx: Context, document: Document, rules: tuple[str, str, str]) -> None:
    name_rule, raw_without_duid, duid_without_raw = rules
    if text(document.get("name")) == "":
        ctx.fail(name_rule, "name must be specified")
    duid = text(document.get("clientIdentifier")).lower() == "duid"  # an enumer name, in any case
    has_raw = bool(text(document.get("duidRaw")))
    if has_raw and not duid:
        ctx.fail(raw_without_duid, "duidRaw can only be set if clientIdentifier is 'duid'")
    if duid and not has_raw:
        ctx.fail(duid_without_raw, "duidRaw must be set if clientIdentifier is 'duid'")


@document_check("DHCPv4Config", "R265", "R266", "R267")
def dhcpv4_config(document: Document, ctx: Context) -> None:
    _dhcp_problems(ctx, document, ("R265", "R266", "R267"))


@document_check("DHCPv6Config", "R268", "R269", "R270")
def dhcpv6_config(document: Document, ctx: Context) -> None:
    _dhcp_problems(ctx, document, ("R268", "R269", "R270"))


# --- layer2_vip.go, hcloud_vip.go --------------------------------------------------------------------------

def _vip_problems(ctx: Context, document: Document, rules: tuple[str, str, str]) -> None:
    name_rule, address_rule, link_rule = rules
    name = text(document.get("name"))
    if name == "":
        ctx.fail(name_rule, "name must be specified")
    elif problem := error_of(parse_addr, name):
        ctx.fail(address_rule, f"name must be a valid IP address: {problem}")
    if text(document.get("link")) == "":
        ctx.fail(link_rule, "link must be specified")


@document_check("Layer2VIPConfig", "R292", "R293", "R294")
def layer2_vip_config(document: Document, ctx: Context) -> None:
    _vip_problems(ctx, document, ("R292", "R293", "R294"))


@document_check("HCloudVIPConfig", "R273", "R274", "R275", "R276")
def hcloud_vip_config(document: Document, ctx: Context) -> None:
    _vip_problems(ctx, document, ("R273", "R274", "R275"))
    if not ctx.has_secret(document.get("apiToken")):
        ctx.fail("R276", "apiToken must be specified")


# --- hostname.go -------------------------------------------------------------------------------------------

@document_check("HostnameConfig", "R277", "R278", "R279", "R280", "R281")
def hostname_config(document: Document, ctx: Context) -> None:
    auto = text(document.get("auto")).lower() if present(document, "auto") else None  # *AutoHostnameKind
    hostname = text(document.get("hostname"))
    if auto is None and hostname == "":
        ctx.fail("R277", "either 'auto' or 'hostname' must be set")
    if (auto or "off") != "off" and hostname:
        ctx.fail("R278", "'auto' and 'hostname' cannot be set at the same time")
    if auto == "talos-addr":
        ctx.fail("R279", "invalid value for 'auto': talos-addr")
    if hostname:
        if byte_length(hostname) > 253:
            ctx.fail("R280", f"fqdn is too long: {byte_length(hostname)}")
        label = hostname.partition(".")[0]
        if not label or byte_length(label) > 63:
            ctx.fail("R281", f"invalid hostname {quote(label)}")


# --- resolver.go -------------------------------------------------------------------------------------------

not_applicable("unreachable: protocol decodes through nethelpers.DNSProtocol's UnmarshalText, which accepts only "
               "Do53, DoT and DoH; anything else fails in the decoder (R011) before Validate runs", "R321")


@document_check("ResolverConfig", "R316", "R317", "R318", "R319", "R320", "R322")
def resolver_config(document: Document, ctx: Context) -> None:
    """resolver.go ResolverConfigV1Alpha1.Validate (its all-encrypted-DNS warning is not a rejection)."""
    host_dns = mapping(document.get("hostDNS"))
    fields = ("enabled", "forwardKubeDNSToHost", "resolveMemberNames")
    if any(host_dns.get(field) is not None for field in fields) and host_dns.get("enabled") is not True:
        if host_dns.get("forwardKubeDNSToHost") is True:
            ctx.fail("R316", "hostDNS.forwardKubeDNSToHost cannot be enabled when hostDNS.enabled is false")
        if host_dns.get("resolveMemberNames") is True:
            ctx.fail("R317", "hostDNS.resolveMemberNames cannot be enabled when hostDNS.enabled is false")
    for index, nameserver in indexed(document.get("nameservers")):
        protocol = text(nameserver.get("protocol")).lower() or "do53"
        server_name = text(nameserver.get("tlsServerName"))
        if protocol == "dot" and not server_name:
            ctx.fail("R318", f"tlsServerName must be set when protocol is DoT: entry {index}")
        elif protocol == "doh" and not server_name:
            ctx.fail("R319", f"tlsServerName must be set when protocol is DoH: entry {index}")
        elif protocol == "do53" and server_name:
            ctx.fail("R320", f"tlsServerName must be empty when protocol is Do53: entry {index}")
        if address(nameserver.get("address")) is None:
            ctx.fail("R322", f"nameserver address must be a valid IP: entry {index}")


# --- time_sync.go ------------------------------------------------------------------------------------------

@document_check("TimeSyncConfig", "R340", "R341", "R342")
def time_sync_config(document: Document, ctx: Context) -> None:
    if duration(document.get("bootTimeout")) < 0:
        ctx.fail("R340", "bootTimeout cannot be negative")
    ntp = document.get("ntp")
    if ntp is not None and document.get("ptp") is not None:
        ctx.fail("R341", "only one of ntp or ptp configuration can be specified")
    ntp = mapping(ntp)
    if ntp.get("useNTS") is True:
        for server in map(text, items(ntp.get("servers"))):
            if parse_ip(server) is not None:
                ctx.fail("R342", f"NTS requires hostnames, not IP addresses: {quote(server)}")


# --- kubespan.go -------------------------------------------------------------------------------------------

KUBESPAN_LINK_MINIMUM_MTU = 1280  # constants.KubeSpanLinkMinimumMTU


@document_check("KubeSpanConfig", "R289", "R290")
def kubespan_config(document: Document, ctx: Context) -> None:
    if present(document, "mtu") and number(document.get("mtu")) < KUBESPAN_LINK_MINIMUM_MTU:
        ctx.fail("R289", f"kubespan link MTU must be at least {KUBESPAN_LINK_MINIMUM_MTU}")
    for value in items(mapping(document.get("filters")).get("endpoints")):
        cidr = text(value).removeprefix("!")
        if error_of(parse_subnet_or_address, cidr):
            ctx.fail("R290", f"KubeSpan endpoint filter is not valid: {quote(cidr)}")


# --- tcp_probe.go, http_probe.go ---------------------------------------------------------------------------

def _common_probe_problems(ctx: Context, document: Document) -> None:
    """tcp_probe.go CommonProbeConfig.Validate."""
    if (interval := duration(document.get("interval"))) < 0:
        ctx.fail("R338", f"probe interval cannot be negative: {format_duration(interval)}")
    if (threshold := number(document.get("failureThreshold"))) < 0:
        ctx.fail("R339", f"probe failure threshold cannot be negative: {threshold}")


@document_check("TCPProbeConfig", "R335", "R336", "R337", "R338", "R339")
def tcp_probe_config(document: Document, ctx: Context) -> None:
    if text(document.get("name")) == "":
        ctx.fail("R335", "probe name is required")
    if text(document.get("endpoint")) == "":
        ctx.fail("R336", "TCP probe endpoint is required")
    if (timeout := duration(document.get("timeout"))) < 0:
        ctx.fail("R337", f"TCP probe timeout cannot be negative: {format_duration(timeout)}")
    _common_probe_problems(ctx, document)


@document_check("HTTPProbeConfig", "R284", "R285", "R286", "R287", "R288")
def http_probe_config(document: Document, ctx: Context) -> None:
    if text(document.get("name")) == "":
        ctx.fail("R284", "probe name is required")
    url = url_of(document.get("url"))
    if url is None:
        ctx.fail("R285", "HTTP probe URL is required")
    else:
        if url.scheme not in ("http", "https"):
            ctx.fail("R286", f"HTTP probe URL scheme must be http or https, got {quote(url.scheme)}")
        elif url.opaque or not url.hostname:
            ctx.fail("R287", "HTTP probe URL must be an absolute http or https URL with a non-empty host")
    if (timeout := duration(document.get("timeout"))) < 0:
        ctx.fail("R288", f"HTTP probe timeout cannot be negative: {format_duration(timeout)}")
    _common_probe_problems(ctx, document)
