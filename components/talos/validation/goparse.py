"""Go's parsers as Talos's checks call them, with Go's error wording.

Talos's validators lean on Go's standard library and a few small libraries; Python's own parsers accept
other inputs (IPv6 zones in ``ipaddress``, lenient ``urllib``), so the ones a check depends on are here:
net/netip (``ParseAddr``, ``ParsePrefix``), net (``ParseIP``, ``ParseCIDR``, ``SplitHostPort``), net/url
(``Parse``, ``ParseRequestURI``), encoding/base64 (``StdEncoding``), siderolabs/net v0.4.0 and
dustin/go-humanize ``ParseBytes``. Each returns the error text Go would print, or None.
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _quote(text: str) -> str:
    """Go's %q for the ASCII strings these errors quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- net/netip, net


def parse_addr(text: str) -> tuple[IPAddress | None, str | None]:
    """netip.ParseAddr: IPv4 without leading zeros, IPv6 with an optional zone (``fe80::1%eth0``)."""
    address, _, zone = text.partition("%")
    if "%" in text and (not zone or ":" not in address):
        return None, f"ParseAddr({_quote(text)}): " + ("zone must be a non-empty string" if ":" in address
                                                         else "unexpected character")
    try:
        return ipaddress.ip_address(address), None
    except ValueError:
        return None, f"ParseAddr({_quote(text)}): unable to parse IP"


def parse_ip(text: str) -> IPAddress | None:
    """net.ParseIP: an address without zone, or None (Go returns a nil IP)."""
    address, error = parse_addr(text)
    return None if error or "%" in text else address


def parse_cidr(text: str) -> str | None:
    """net.ParseCIDR's error: ``invalid CIDR address: <text>`` (host bits may be set)."""
    address, slash, bits = text.partition("/")
    ip = parse_ip(address) if slash else None
    if ip is None or not bits.isdigit() or not bits.isascii() or int(bits) > ip.max_prefixlen:
        return f"invalid CIDR address: {text}"
    return None


def parse_prefix(text: str) -> str | None:
    """netip.ParsePrefix's error, or None."""
    where = f"netip.ParsePrefix({_quote(text)})"
    address, slash, bits = text.rpartition("/")
    if not slash:
        return f"{where}: no '/'"
    ip, error = parse_addr(address)
    if ip is None:
        return f"{where}: {error}"
    if "%" in address:
        return f"{where}: IPv6 zones cannot be present in a prefix"
    if len(bits) > 1 and not ("1" <= bits[0] <= "9"):
        return f"{where}: bad bits after slash: {_quote(bits)}"
    if not bits.isascii() or not bits.isdigit():
        return f"{where}: bad bits after slash: {_quote(bits)}"
    if int(bits) > ip.max_prefixlen:
        return f"{where}: prefix length out of range"
    return None


def parse_subnet_or_address(text: str) -> str | None:
    """siderolabs/net ParseSubnetOrAddress: a prefix, or a bare address taken as /32 or /128."""
    error = parse_prefix(text)
    if error is None:
        return None
    return None if parse_addr(text)[0] is not None else f"failed to parse subnet: {error}"


def split_host_port(text: str) -> tuple[str, str] | None:
    """net.SplitHostPort: host and port, or None where Go returns an error."""
    colon = text.rfind(":")
    if colon < 0:
        return None  # missing port in address
    start, end = 0, 0
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or close + 1 != colon:
            return None  # missing ']', missing port or too many colons
        host, start, end = text[1:close], 1, close + 1
    else:
        host = text[:colon]
        if ":" in host:
            return None  # too many colons in address
    if "[" in text[start:] or "]" in text[end:]:
        return None
    return host, text[colon + 1:]


def address_contains_port(text: str) -> bool:
    """siderolabs/net AddressContainsPort: ``host:port``, an IPv6 host in brackets and parseable."""
    parts = split_host_port(text)
    if parts is None:
        return False
    host = parts[0]
    return ":" not in host or parse_addr(host)[0] is not None


# ---------------------------------------------------------------- net/url


@dataclass(frozen=True)
class URL:
    scheme: str
    host: str  # with the port, as url.URL.Host
    path: str
    opaque: str = ""

    @property
    def hostname(self) -> str:
        """url.URL.Hostname: the host without port and brackets."""
        host = self.host
        if host.startswith("["):
            return host[1:host.find("]")] if "]" in host else host[1:]
        return host.rpartition(":")[0] if ":" in host else host

    @property
    def port(self) -> str:
        """url.URL.Port: the digits after the host's last colon, "" without."""
        host = self.host
        colon = host.rfind(":")
        if colon < 0 or (host.startswith("[") and colon < host.find("]")):
            return ""
        return host[colon + 1:]


_SCHEME_REST = frozenset(string.ascii_letters + string.digits + "+-.")
_HOST_PUNCTUATION = frozenset("!$&'()*+,;=:[]<>\"-._~%")


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port.startswith(":") and all(c in string.digits for c in port[1:]))


def _parse_host(host: str) -> str | None:
    """url.parseHost's error, or None."""
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            return "missing ']' in host"
        if not _valid_optional_port(host[end + 1:]):
            return f"invalid port {_quote(host[end + 1:])} after host"
        return None
    colon = host.rfind(":")
    if colon >= 0 and not _valid_optional_port(host[colon:]):
        return f"invalid port {_quote(host[colon:])} after host"
    bad = next((c for c in host if not (c.isascii() and c.isalnum()) and c not in _HOST_PUNCTUATION), None)
    if bad is not None:
        return f"invalid character {_quote(bad)} in host name"
    return None


def _escape_error(text: str) -> str | None:
    for match in re.finditer(r"%", text):
        escape = text[match.start():match.start() + 3]
        if len(escape) < 3 or any(c not in string.hexdigits for c in escape[1:]):
            return f"invalid URL escape {_quote(escape)}"
    return None


def parse_url(text: str, *, request: bool = False) -> tuple[URL | None, str | None]:
    """net/url Parse (or ParseRequestURI with `request`): the URL, or the error as Go prints it."""
    raw = text
    if not request:
        text = text.partition("#")[0]

    def error(reason: str) -> tuple[URL | None, str | None]:
        return None, f"parse {_quote(raw)}: {reason}"

    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return error("net/url: invalid control character in URL")
    if text == "" and request:
        return error("empty url")
    scheme, rest = "", text
    for index, char in enumerate(text):
        if char.isascii() and char.isalpha():
            continue
        if char in _SCHEME_REST:
            if index == 0:
                break
            continue
        if char == ":":
            if index == 0:
                return error("missing protocol scheme")
            scheme, rest = text[:index].lower(), text[index + 1:]
        break
    rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return URL(scheme, "", "", opaque=rest), None
        if request:
            return error("invalid URI for request")
        segment = rest.partition("/")[0]
        if ":" in segment:
            return error("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = authority.rpartition("@")[2]
        problem = _parse_host(host)
        if problem:
            return error(problem)
    problem = _escape_error(rest)
    if problem:
        return error(problem)
    return URL(scheme, host, rest), None


def endpoint_uri_error(text: str) -> str | None:
    """siderolabs/net ValidateEndpointURI: parseable, IPv6 in brackets, a host, a port in 1-65535."""
    url, error = parse_url(text)
    if url is None:
        return error
    if url.host.count(":") > 2 and ("[" not in url.host or "]" not in url.host):
        return "IPv6 addresses MUST be enclosed by square brackets"
    if url.hostname == "":
        return "hostname must not be blank"
    port = url.port
    if port:
        if not re.fullmatch(r"[+-]?\d+", port):
            return "port number must be numeric"
        if not 1 <= int(port) <= 65535:
            return "port number must be between 1 and 65535"
    return None


# ---------------------------------------------------------------- encoding/base64, go-humanize

_BASE64 = frozenset(string.ascii_letters + string.digits + "+/")


def base64_decode(text: str) -> tuple[int, str | None]:
    """base64.StdEncoding.DecodeString: the decoded length, or Go's CorruptInputError text.

    Ported from encoding/base64 decodeQuantum (newlines skipped, padding required)."""
    decoded, index, size = 0, 0, len(text)

    def corrupt(offset: int) -> tuple[int, str | None]:
        return decoded, f"illegal base64 data at input byte {offset}"

    while True:
        filled = 0
        while filled < 4:
            if index == size:
                if filled == 0:
                    return decoded, None
                return corrupt(index - filled)
            char = text[index]
            index += 1
            if char in _BASE64:
                filled += 1
                continue
            if char in "\r\n":
                continue
            if char != "=" or filled < 2:
                return corrupt(index - 1)
            if filled == 2:
                while index < size and text[index] in "\r\n":
                    index += 1
                if index == size:
                    return corrupt(size)
                if text[index] != "=":
                    return corrupt(index - 1)
                index += 1
            while index < size and text[index] in "\r\n":
                index += 1
            decoded += filled - 1
            return corrupt(index) if index < size else (decoded, None)
        decoded += 3


_SIZES = {"b": 1, "kib": 1 << 10, "kb": 10**3, "mib": 1 << 20, "mb": 10**6, "gib": 1 << 30, "gb": 10**9,
          "tib": 1 << 40, "tb": 10**12, "pib": 1 << 50, "pb": 10**15, "eib": 1 << 60, "eb": 10**18,
          "": 1, "ki": 1 << 10, "k": 10**3, "mi": 1 << 20, "m": 10**6, "gi": 1 << 30, "g": 10**9,
          "ti": 1 << 40, "t": 10**12, "pi": 1 << 50, "p": 10**15, "ei": 1 << 60, "e": 10**18}


def parse_bytes(text: str) -> tuple[int | None, str | None]:
    """go-humanize ParseBytes ("100 GB", "1.5TiB"): the size, or its error text."""
    digits = 0
    for char in text:
        if not (char.isdigit() or char in ".,"):
            break
        digits += 1
    number = text[:digits].replace(",", "")
    try:
        if not re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", number):
            raise ValueError
        value = float(number)
    except ValueError:
        return None, f'strconv.ParseFloat: parsing {_quote(number)}: invalid syntax'
    unit = text[digits:].strip().lower()
    if unit not in _SIZES:
        return None, f"unhandled size name: {unit}"
    value *= _SIZES[unit]
    if value >= 2.0**64:
        return None, f"too large: {text}"
    return int(value), None


def multierror(errors: list[str]) -> str:
    """hashicorp/go-multierror's text for a list of errors (what ``%w`` of a multierror prints)."""
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} {noun} occurred:\n" + "".join(f"\t* {e}\n" for e in errors) + "\n"
