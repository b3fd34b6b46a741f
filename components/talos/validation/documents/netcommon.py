"""What the per-document checks share: Go's view of a decoded value, netip, net/url, %q, and the document's name.

Talos validates Go structs after go-yaml decoded the document into them; the checks here see the YAML as
Python values, so these helpers give each field the value Go would hold (a missing string is "", a missing
list is empty) and parse addresses, prefixes and URLs with the Go standard library's rules, not Python's
(``ipaddress`` accepts ``10.0.0.0/255.0.0.0`` and scoped prefixes, ``netip.ParsePrefix`` does not).

A value of the wrong shape (a mapping where Go holds a string) fails in Talos's decoder before any
``Validate`` runs; helpers return None for it and the checks skip the rule, the decoder's check reports it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import shorten
from ..registry import Context, Document

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Kinds whose Go type implements config.NamedDocument (Name() returns the `name` field): Talos's container
# prefixes each document's validation error with docID, "Kind" or "Kind/name" (container/container.go docID).
NAMED_KINDS = frozenset({
    "BGPInstanceConfig", "BlackholeRouteConfig", "BondConfig", "BridgeConfig", "DHCPv4Config", "DHCPv6Config",
    "DummyLinkConfig", "EthernetConfig", "HCloudVIPConfig", "HTTPProbeConfig", "Layer2VIPConfig", "LinkConfig",
    "LinkAliasConfig", "RoutingRuleConfig", "NetworkRuleConfig", "StaticHostConfig", "TCPProbeConfig",
    "VethConfig", "VLANConfig", "VRFConfig", "WireguardConfig", "DiscoveryServiceConfig", "TrustedRootsConfig",
    "KubeAPIServerConfig",
})


class Report:
    """Where one document's check reports: Talos's message, prefixed with the document as Talos names it."""

    def __init__(self, ctx: Context, document: Document) -> None:
        self.ctx = ctx
        self.prefix = document_id(document)

    def fail(self, rule: str, message: str) -> None:
        self.ctx.fail(rule, f"{self.prefix}: {message}")


def document_id(document: Document) -> str:
    kind = str(document.get("kind", "v1alpha1"))
    if kind in NAMED_KINDS:
        return f"{kind}/{shorten(go_string(document.get('name')) or '')}"
    return kind


def go_string(value: Any) -> str | None:
    """A string field as go-yaml fills it: any scalar's text (``5`` -> "5"), null -> ""; None for a
    mapping or list (a decode error)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def go_int(value: Any) -> int | None:
    """An integer field: null -> 0; None for anything else go-yaml refuses (a decode error)."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def go_bool(value: Any) -> bool:
    """A *bool read with pointer.SafeDeref: only true is true."""
    return value is True


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def indexed_mappings(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of a list of structs; a null item is the zero struct."""
    for index, item in enumerate(items(value)):
        yield index, (item if isinstance(item, dict) else {})


def go_quote(text: str) -> str:
    """strconv.Quote (fmt's %q of a string), of at most an excerpt of `text`."""
    out = ['"']
    for char in shorten(text):
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out) + '"'


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote_list(texts: list[str]) -> str:
    """fmt's %q of a []string: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(text) for text in texts) + "]"


# --- net/netip -------------------------------------------------------------------------------------------

class NetipError(ValueError):
    pass


def parse_addr(text: str) -> IPAddress:
    """netip.ParseAddr: dotted IPv4 without leading zeros, IPv6 with an optional zone; the kind is decided by
    the first '.', ':' or '%' (so "1.2.3.4%eth0" is an IPv4 error)."""
    for char in text:
        if char == ".":
            return _parse_ipv4(text)
        if char == ":":
            return _parse_ipv6(text)
        if char == "%":
            raise NetipError(_addr_error(text, "missing IPv6 address"))
    raise NetipError(_addr_error(text, "unable to parse IP"))


def _addr_error(text: str, message: str, at: str = "") -> str:
    suffix = f" (at {go_quote(at)})" if at else ""
    return f"ParseAddr({go_quote(text)}): {message}{suffix}"


def _parse_ipv4(text: str) -> ipaddress.IPv4Address:
    # net/netip parseIPv4Fields, field by field, with its messages
    fields: list[int] = []
    value, digits = 0, 0
    for index, char in enumerate(text):
        if "0" <= char <= "9":
            if digits == 1 and value == 0:
                raise NetipError(_addr_error(text, "IPv4 field has octet with leading zero"))
            value, digits = value * 10 + int(char), digits + 1
            if value > 255:
                raise NetipError(_addr_error(text, "IPv4 field has value >255"))
        elif char == ".":
            if index == 0 or index == len(text) - 1 or text[index - 1] == ".":
                raise NetipError(_addr_error(text, "IPv4 field must have at least one digit", text[index:]))
            if len(fields) == 3:
                raise NetipError(_addr_error(text, "IPv4 address too long"))
            fields.append(value)
            value, digits = 0, 0
        else:
            raise NetipError(_addr_error(text, "unexpected character", text[index:]))
    if len(fields) < 3:
        raise NetipError(_addr_error(text, "IPv4 address too short"))
    return ipaddress.IPv4Address(bytes([*fields, value]))


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    address, percent, zone = text.partition("%")
    if percent and not zone:
        raise NetipError(_addr_error(text, "zone must be a non-empty string"))
    try:
        parsed = ipaddress.IPv6Address(address)  # the same grammar: 8 groups of <= 4 hex digits, one "::",
    except ValueError:  # an embedded IPv4 tail
        raise NetipError(_addr_error(text, "invalid IPv6 address")) from None
    return ipaddress.IPv6Address(f"{parsed}%{zone}") if percent else parsed


def has_zone(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None


def parse_prefix(text: str) -> IPNetwork:
    """netip.ParsePrefix: "addr/bits", no zone, bits in decimal without sign or leading zero. The address
    keeps its host bits (netip.Prefix is not masked): the result's network is built with strict=False and
    `prefix_address` returns the address as written."""
    slash = text.rfind("/")
    if slash < 0:
        raise NetipError(_prefix_error(text, "no '/'"))
    try:
        address = parse_addr(text[:slash])
    except NetipError as error:
        raise NetipError(_prefix_error(text, str(error))) from None
    if has_zone(address):
        raise NetipError(_prefix_error(text, "IPv6 zones cannot be present in a prefix"))
    bits_text = text[slash + 1:]
    if (len(bits_text) > 1 and not "1" <= bits_text[0] <= "9") or not bits_text.isascii() \
            or not bits_text.isdigit():
        raise NetipError(_prefix_error(text, f"bad bits after slash: {go_quote(bits_text)}"))
    if int(bits_text) > address.max_prefixlen:
        raise NetipError(_prefix_error(text, "prefix length out of range"))
    return ipaddress.ip_network(f"{address}/{bits_text}", strict=False)


def _prefix_error(text: str, message: str) -> str:
    return f"netip.ParsePrefix({go_quote(text)}): {message}"


@dataclass(frozen=True)
class Prefix:
    """A parsed netip.Prefix: its address as written (host bits kept) and its length."""

    address: IPAddress
    bits: int

    @property
    def network(self) -> IPNetwork:
        return ipaddress.ip_network(f"{self.address}/{self.bits}", strict=False)

    @property
    def masked(self) -> bool:
        return self.network.network_address == self.address

    def __str__(self) -> str:
        return f"{self.address}/{self.bits}"


def prefix_of(text: str) -> Prefix:
    """netip.ParsePrefix keeping the address as written (for Masked() and String())."""
    network = parse_prefix(text)
    slash = text.rfind("/")
    return Prefix(parse_addr(text[:slash]), network.prefixlen)


def optional(parse: Callable[[str], Any], value: Any) -> Any:
    """A netip value as go-yaml decodes it through UnmarshalText: "" or null is the zero value (None here);
    text that does not parse is a decode error (None here too: the decoder reports it)."""
    text = go_string(value)
    if not text:
        return None
    try:
        return parse(text)
    except NetipError:
        return None


def is_ip(text: str) -> bool:
    """net.ParseIP: an IPv4 or IPv6 address without a zone."""
    try:
        return not has_zone(parse_addr(text))
    except NetipError:
        return False


# --- net/url ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class URL:
    """The parts of a net/url.URL that Talos's checks read."""

    scheme: str
    opaque: str
    host: str
    path: str

    @property
    def hostname(self) -> str:
        """URL.Hostname: the host without port and brackets."""
        host = self.host
        if host.startswith("["):
            end = host.find("]")
            return host[1:end] if end >= 0 else host[1:]
        colon = host.rfind(":")
        return host[:colon] if colon >= 0 else host


class URLError(ValueError):
    pass


def parse_url(raw: str) -> URL:
    """url.Parse (src/net/url/url.go parse with viaRequest=false), without the fragment."""
    raw = raw.partition("#")[0]
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw):
        raise URLError(f"parse {go_quote(raw)}: net/url: invalid control character in URL")
    if raw == "*":
        return URL("", "", "", "*")
    scheme, rest = _scheme(raw)
    scheme = scheme.lower()
    rest = rest.partition("?")[0]
    if not rest.startswith("/") and scheme:
        return URL(scheme, rest, "", "")  # an opaque URL: "mailto:x", "host:port" read as scheme "host"
    if not scheme and not rest.startswith("/") and ":" in rest.partition("/")[0]:
        raise URLError(f"parse {go_quote(raw)}: first path segment in URL cannot contain colon")
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, separator, path = rest[2:].partition("/")
        rest = separator + path
        host = _host(raw, authority.rpartition("@")[2] if "@" in authority else authority)
    return URL(scheme, "", host, rest)


def _scheme(raw: str) -> tuple[str, str]:
    for index, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if index == 0:
                return "", raw
            continue
        if char == ":":
            if index == 0:
                raise URLError(f"parse {go_quote(raw)}: missing protocol scheme")
            return raw[:index], raw[index + 1:]
        return "", raw  # an invalid character: no scheme, the whole text is a path
    return "", raw


def _host(raw: str, host: str) -> str:
    # url.parseHost: a bracketed IPv6 literal may be followed only by ":port"; otherwise a port after the
    # last colon must be digits.
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise URLError(f"parse {go_quote(raw)}: missing ']' in host")
        port = host[end + 1:]
        if port and (not port.startswith(":") or (not port[1:].isdigit() and port != ":")):
            raise URLError(f"parse {go_quote(raw)}: invalid port {go_quote(port)} after host")
        return host
    colon = host.rfind(":")
    if colon >= 0:
        port = host[colon + 1:]
        if port and not (port.isascii() and port.isdigit()):
            raise URLError(f"parse {go_quote(raw)}: invalid port {go_quote(':' + port)} after host")
    if any(char in host for char in " <>\"`{}|\\^"):
        raise URLError(f"parse {go_quote(raw)}: invalid character in host name")
    return host


def optional_url(value: Any) -> URL | None:
    """meta.URL as it decodes: "" or null is no URL; a parse error is a decode error (None too)."""
    text = go_string(value)
    if not text:
        return None
    try:
        return parse_url(text)
    except URLError:
        return None
