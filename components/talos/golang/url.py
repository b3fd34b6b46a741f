"""Go's net/url ``Parse`` and ``ParseRequestURI`` (src/net/url/url.go) with url.Error's texts, and siderolabs/net
``ValidateEndpointURI`` on top of them. Python's urllib is lenient where Go refuses (ports, escapes, a colon in
the first path segment), so the parts Talos's checks read are parsed here as Go parses them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .strconv import quote


@dataclass(frozen=True)
class URL:
    """The parts of a net/url.URL that Talos's checks read."""

    scheme: str
    host: str  # with the port, as url.URL.Host
    path: str
    opaque: str = ""

    @property
    def hostname(self) -> str:
        """URL.Hostname: the host without its port and brackets."""
        host = self.host
        colon = host.rfind(":")
        if colon >= 0 and _valid_optional_port(host[colon:]):
            host = host[:colon]
        return host[1:-1] if host.startswith("[") and host.endswith("]") else host

    @property
    def port(self) -> str:
        """URL.Port (portOnly): the digits after the host, "" without."""
        colon = self.host.find(":")
        if colon < 0:
            return ""
        bracket = self.host.find("]:")
        if bracket >= 0:
            return self.host[bracket + 2:]
        return "" if "]" in self.host else self.host[colon + 1:]


def parse(raw: str, *, request: bool = False) -> URL:
    """url.Parse (url.ParseRequestURI with `request`); ValueError with url.Error's text (parse "<url>": why)."""
    if request:
        try:
            return _parse(raw, request=True)
        except ValueError as error:
            raise ValueError(f"parse {quote(raw)}: {error}") from None
    without_fragment, _, fragment = raw.partition("#")
    try:
        parsed = _parse(without_fragment, request=False)
    except ValueError as error:
        raise ValueError(f"parse {quote(without_fragment)}: {error}") from None
    try:
        _unescape(fragment, host=False)
    except ValueError as error:
        raise ValueError(f"parse {quote(raw)}: {error}") from None
    return parsed


def _parse(raw: str, *, request: bool) -> URL:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw):
        raise ValueError("net/url: invalid control character in URL")
    if raw == "" and request:
        raise ValueError("empty url")
    if raw == "*":
        return URL("", "", "*")
    scheme, rest = _scheme(raw)
    scheme = scheme.lower()
    rest = rest[:-1] if rest.endswith("?") and rest.count("?") == 1 else rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return URL(scheme, "", "", rest)  # a rootless path is opaque: "mailto:x", "host:port" as scheme "host"
        if request:
            raise ValueError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise ValueError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = _authority(authority)
    return URL(scheme, host, _unescape(rest, host=False))


def _scheme(raw: str) -> tuple[str, str]:
    # getScheme: letters, then letters, digits, '+', '-', '.' up to a ':'; anything else means no scheme
    for index, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if (char.isascii() and char.isdigit()) or char in "+-.":
            if index == 0:
                return "", raw
            continue
        if char == ":":
            if index == 0:
                raise ValueError("missing protocol scheme")
            return raw[:index], raw[index + 1:]
        return "", raw
    return "", raw


_USERINFO = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*")


def _authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _host(authority[at + 1:] if at >= 0 else authority)
    if at >= 0 and not _USERINFO.fullmatch(authority[:at]):
        raise ValueError("net/url: invalid userinfo")
    return host


def _valid_optional_port(port: str) -> bool:
    return port == "" or bool(re.fullmatch(r":[0-9]*", port))


def _host(host: str) -> str:
    # parseHost: a bracketed IP literal may be followed only by ":port"; otherwise a port after the last colon
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            raise ValueError("missing ']' in host")
        port = host[close + 1:]
    else:
        colon = host.rfind(":")
        port = host[colon:] if colon >= 0 else ""
    if not _valid_optional_port(port):
        raise ValueError(f"invalid port {quote(port)} after host")
    return _unescape(host, host=True)


_HOST_OK = set("-_.~!$&'()*+,;=:[]<>\"")  # shouldEscape(c, encodeHost): what a host may hold unescaped


def _unescape(text: str, *, host: bool) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            escape = text[index:index + 3]
            if not re.fullmatch(r"%[0-9A-Fa-f]{2}", escape):
                raise ValueError(f"invalid URL escape {quote(escape)}")
            if host and int(escape[1], 16) < 8 and escape != "%25":
                raise ValueError(f"invalid URL escape {quote(escape)}")
            out.append(chr(int(escape[1:], 16)))
            index += 3
            continue
        if host and ord(char) < 0x80 and not char.isalnum() and char not in _HOST_OK:
            raise ValueError(f"invalid character {quote(char)} in host name")
        out.append(char)
        index += 1
    return "".join(out)


def endpoint_uri_error(text: str) -> str | None:
    """siderolabs/net ValidateEndpointURI: parseable, IPv6 in brackets, a host, a port in 1-65535."""
    try:
        url = parse(text)
    except ValueError as error:
        return str(error)
    if url.host.count(":") > 2 and ("[" not in url.host or "]" not in url.host):
        return "IPv6 addresses MUST be enclosed by square brackets"
    if url.hostname == "":
        return "hostname must not be blank"
    port = url.port
    if port:
        if not port.isdigit() or int(port) > (1 << 63) - 1:  # strconv.Atoi
            return "port number must be numeric"
        if not 1 <= int(port) <= 65535:
            return "port number must be between 1 and 65535"
    return None
