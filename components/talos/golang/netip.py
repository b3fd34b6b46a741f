"""Go's net/netip and net address parsers, and siderolabs/net's helpers on top of them, with Go's verdicts and
error texts. Python's ``ipaddress`` accepts other inputs (``10.0.0.0/255.0.0.0``, zones in prefixes, leading
zeros), so each parser here follows Go's grammar and only then builds the ``ipaddress`` value."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .strconv import clip, quote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class NetipError(ValueError):
    """What a net/netip or net parser returns as its error; str() is Go's text."""


# --- net/netip ParseAddr ----------------------------------------------------------------------------------

def _addr_error(text: str, message: str, at: str = "") -> NetipError:
    # parseAddrError.Error: ParseAddr(%q): msg (at %q)
    return NetipError(f"ParseAddr({quote(text)}): {message}" + (f" (at {quote(at)})" if at else ""))


def parse_addr(text: str) -> IPAddress:
    """netip.ParseAddr: dotted IPv4 without leading zeros, IPv6 with an optional zone; the family is decided by
    the first '.', ':' or '%' (so "1.2.3.4%eth0" is an IPv4 error)."""
    for char in text:
        if char == ".":
            return _parse_ipv4(text)
        if char == ":":
            return _parse_ipv6(text)
        if char == "%":
            raise _addr_error(text, "missing IPv6 address")
    raise _addr_error(text, "unable to parse IP")


def _parse_ipv4(text: str) -> ipaddress.IPv4Address:
    # netip parseIPv4Fields, field by field, with its messages
    fields: list[int] = []
    value, digits = 0, 0
    for index, char in enumerate(text):
        if "0" <= char <= "9":
            if digits == 1 and value == 0:
                raise _addr_error(text, "IPv4 field has octet with leading zero")
            value, digits = value * 10 + int(char), digits + 1
            if value > 255:
                raise _addr_error(text, "IPv4 field has value >255")
        elif char == ".":
            if index == 0 or index == len(text) - 1 or text[index - 1] == ".":
                raise _addr_error(text, "IPv4 field must have at least one digit", text[index:])
            if len(fields) == 3:
                raise _addr_error(text, "IPv4 address too long")
            fields.append(value)
            value, digits = 0, 0
        else:
            raise _addr_error(text, "unexpected character", text[index:])
    if len(fields) < 3:
        raise _addr_error(text, "IPv4 address too short")
    return ipaddress.IPv4Address(bytes([*fields, value]))


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    address, percent, zone = text.partition("%")
    if percent and not zone:
        raise _addr_error(text, "zone must be a non-empty string")
    try:  # the same grammar as Go's: 8 groups of at most 4 hex digits, one "::", an embedded IPv4 tail
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        raise _addr_error(text, "invalid IPv6 address") from None  # Go's finer reasons are not ported
    return ipaddress.IPv6Address(f"{parsed}%{zone}") if percent else parsed


def has_zone(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None


# --- net/netip ParsePrefix, ParseAddrPort -----------------------------------------------------------------

@dataclass(frozen=True)
class Prefix:
    """A netip.Prefix: its address as written (netip does not mask host bits) and its length."""

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


def parse_prefix(text: str) -> Prefix:
    """netip.ParsePrefix: "addr/bits", no zone, bits in decimal without sign or leading zero."""
    def refuse(message: str) -> NetipError:
        return NetipError(f"netip.ParsePrefix({quote(text)}): {message}")

    slash = text.rfind("/")
    if slash < 0:
        raise refuse("no '/'")
    try:
        address = parse_addr(text[:slash])
    except NetipError as error:
        raise refuse(str(error)) from None
    if has_zone(address):
        raise refuse("IPv6 zones cannot be present in a prefix")
    bits = text[slash + 1:]
    if (len(bits) > 1 and not "1" <= bits[0] <= "9") or not bits.isascii() or not bits.isdigit():
        raise refuse(f"bad bits after slash: {quote(bits)}")
    if int(bits) > address.max_prefixlen:
        raise refuse("prefix length out of range")
    return Prefix(address, int(bits))


def parse_addr_port(text: str) -> tuple[IPAddress, int]:
    """netip.ParseAddrPort: "ip:port", an IPv6 address in brackets."""
    colon = text.rfind(":")
    if colon < 0:
        raise NetipError("not an ip:port")
    host, port = text[:colon], text[colon + 1:]
    if not host:
        raise NetipError("no IP")
    if not port:
        raise NetipError("no port")
    bracketed = host.startswith("[")
    if bracketed:
        if len(host) < 2 or not host.endswith("]"):
            raise NetipError("missing ]")
        host = host[1:-1]
    if not port.isascii() or not port.isdigit() or int(port) > 0xFFFF:
        raise NetipError(f"invalid port {quote(port)} parsing {quote(text)}")
    address = parse_addr(host)
    if bracketed and address.version == 4:
        raise NetipError(f"invalid ip:port {quote(text)}, square brackets can only be used with IPv6 addresses")
    if not bracketed and address.version == 6:
        raise NetipError(f"invalid ip:port {quote(text)}, IPv6 addresses must be surrounded by square brackets")
    return address, int(port)


# --- net: ParseIP, ParseCIDR, SplitHostPort ---------------------------------------------------------------

def parse_ip(text: str) -> IPAddress | None:
    """net.ParseIP: an IPv4 or IPv6 address without a zone, or None (Go's nil IP)."""
    try:
        address = parse_addr(text)
    except NetipError:
        return None
    return None if has_zone(address) else address


def cidr_error(text: str) -> str | None:
    """net.ParseCIDR's error, ``invalid CIDR address: <text>`` (host bits may be set), or None."""
    address, slash, bits = text.partition("/")
    ip = parse_ip(address) if slash else None
    if ip is None or not bits.isascii() or not bits.isdigit() or int(bits) > ip.max_prefixlen:
        return f"invalid CIDR address: {clip(text)}"
    return None


def split_host_port(hostport: str) -> tuple[str, str]:
    """net.SplitHostPort; NetipError with net.AddrError's text."""
    def refuse(why: str) -> NetipError:
        return NetipError(f"address {clip(hostport)}: {why}" if hostport else why)

    last = hostport.rfind(":")
    if last < 0:
        raise refuse("missing port in address")
    open_at, close_at = 0, 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise refuse("missing ']' in address")
        if end + 1 == len(hostport):
            raise refuse("missing port in address")
        if end + 1 != last:
            raise refuse("too many colons in address" if hostport[end + 1] == ":" else "missing port in address")
        host = hostport[1:end]
        open_at, close_at = 1, end + 1
    else:
        host = hostport[:last]
        if ":" in host:
            raise refuse("too many colons in address")
    if "[" in hostport[open_at:]:
        raise refuse("unexpected '[' in address")
    if "]" in hostport[close_at:]:
        raise refuse("unexpected ']' in address")
    return host, hostport[last + 1:]


# --- siderolabs/net (v0.4.0 net.go) -----------------------------------------------------------------------

def parse_subnet_or_address(text: str) -> Prefix:
    """ParseSubnetOrAddress: a prefix, or a bare address as /32 or /128; NetipError ``failed to parse subnet``."""
    try:
        return parse_prefix(text)
    except NetipError as error:
        try:
            address = parse_addr(text)
        except NetipError:
            raise NetipError(f"failed to parse subnet: {error}") from None
        return Prefix(address, address.max_prefixlen)


def address_contains_port(text: str) -> bool:
    """AddressContainsPort: ``host:port``, an IPv6 host in brackets and parseable."""
    try:
        host, _ = split_host_port(text)
    except NetipError:
        return False
    if ":" in host:
        try:
            parse_addr(host)
        except NetipError:
            return False
    return True
