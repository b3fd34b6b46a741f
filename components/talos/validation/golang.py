"""Go standard library behaviour that Talos's checks depend on, ported for messages and verdicts to match.

Each function names the Go function it follows. Talos's per-document ``Validate`` methods call these (directly
or through the YAML decoder), so a value Go refuses is refused here with Go's wording, and a value Go accepts is
accepted.
"""

from __future__ import annotations

import math
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import shorten

QUOTE_LIMIT = 200  # a quoted value in a message is cut here: a peer's 1 MB value never makes a 1 MB error


def go_quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """strconv.Quote: a double-quoted Go string literal, non-printable runes escaped as Go escapes them."""
    out = ['"']
    for char in shorten(text, limit):
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _SPECIAL_ESCAPES:
            out.append(_SPECIAL_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif _go_printable(char):
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:  # not a valid rune: Go writes the replacement character
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_SPECIAL_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _go_printable(char: str) -> bool:
    # unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def byte_length(text: str) -> int:
    """Go's len() of a string: UTF-8 bytes (a lone surrogate from a YAML escape counts as Go's U+FFFD, 3)."""
    return len(text.encode("utf-8", "surrogatepass"))


def clip(text: str) -> str:
    """A value echoed unquoted in a message, cut short as ``go_quote`` cuts quoted ones."""
    return shorten(text, QUOTE_LIMIT)


def go_quote_list(items: Iterable[str]) -> str:
    """fmt's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(go_quote(item) for item in items) + "]"


def go_text(value: object) -> str:
    """The text go-yaml hands a TextUnmarshaler or string field for a scalar (the node's value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def go_multierror(messages: list[str]) -> str:
    """hashicorp/go-multierror's Error(): the count, then each error on its own bulleted line."""
    count = len(messages)
    lines = "".join(f"\t* {message}\n" for message in messages)
    return f"{count} error{'s' if count != 1 else ''} occurred:\n{lines}\n"


# time.ParseDuration (src/time/format.go unitMap), in nanoseconds; "µs" is U+00B5, "μs" U+03BC.
_DURATION_UNITS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
                   "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_INT64_LIMIT = 1 << 63


def parse_duration(text: str) -> int:
    """time.ParseDuration in nanoseconds; ValueError with Go's message for what Go refuses."""
    original, rest, negative = text, text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise ValueError(f"time: invalid duration {go_quote(original)}")
    total = 0
    while rest:
        if not (rest[0] == "." or (rest[0].isascii() and rest[0].isdigit())):
            raise ValueError(f"time: invalid duration {go_quote(original)}")
        digits = re.match(r"[0-9]*", rest)
        whole_text = digits.group(0) if digits else ""
        rest = rest[len(whole_text):]
        fraction_text = ""
        if rest[:1] == ".":
            fraction = re.match(r"[0-9]*", rest[1:])
            fraction_text = fraction.group(0) if fraction else ""
            rest = rest[1 + len(fraction_text):]
            if not whole_text and not fraction_text:
                raise ValueError(f"time: invalid duration {go_quote(original)}")
        whole = int(whole_text) if whole_text else 0
        if whole >= _INT64_LIMIT:
            raise ValueError(f"time: invalid duration {go_quote(original)}")
        unit_match = re.match(r"[^0-9.]*", rest)
        unit_text = unit_match.group(0) if unit_match else ""
        if not unit_text:
            raise ValueError(f"time: missing unit in duration {go_quote(original)}")
        rest = rest[len(unit_text):]
        unit = _DURATION_UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"time: unknown unit {go_quote(unit_text)} in duration {go_quote(original)}")
        if whole > _INT64_LIMIT // unit:
            raise ValueError(f"time: invalid duration {go_quote(original)}")
        value = whole * unit
        if fraction_text.strip("0"):
            # leadingFraction keeps at most 19 significant digits, then scales in float64 as Go does
            kept = fraction_text[:19]
            value += int(float(int(kept)) * (unit / float(10 ** len(kept))))
            if value > _INT64_LIMIT:
                raise ValueError(f"time: invalid duration {go_quote(original)}")
        total += value
        if total > _INT64_LIMIT:
            raise ValueError(f"time: invalid duration {go_quote(original)}")
    if negative:
        return -total
    if total > _INT64_LIMIT - 1:
        raise ValueError(f"time: invalid duration {go_quote(original)}")
    return total


_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
                       re.IGNORECASE)


def parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64) for decimal text; ValueError with Go's message otherwise."""
    if not _GO_FLOAT.fullmatch(text):
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")
    value = float(text)
    if math.isinf(value) and "inf" not in text.lower():
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: value out of range")
    return value


def format_float(value: float) -> str:
    """fmt's %v of a float64: shortest digits, %e form below 1e-4 and from 1e+06 (strconv 'g', -1)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    shortest = repr(abs(value))  # Python's repr is the shortest round-trip form, as strconv's
    mantissa, _, exponent_text = shortest.partition("e")
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0")
    digits = (whole + fraction).lstrip("0")
    exponent = int(exponent_text or 0) + len(whole) - 1
    if whole == "0":  # 0.000123: the exponent comes from the leading zeros of the fraction
        exponent = -(len(fraction) - len(fraction.lstrip("0"))) - 1
    digits = digits.rstrip("0") or "0"
    if exponent < -4 or exponent >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent >= 0:
        integer = digits[:exponent + 1].ljust(exponent + 1, "0")
        rest = digits[exponent + 1:]
        return f"{sign}{integer}{'.' + rest if rest else ''}"
    return f"{sign}0.{'0' * (-exponent - 1)}{digits}"


def parse_uint(text: str, bits: int = 64) -> int:
    """strconv.ParseUint(text, 10, bits); ValueError with Go's message otherwise."""
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if value >= 1 << bits:
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return value


# dustin/go-humanize bytes.go bytesSizeTable
_SIZE_UNITS = {"b": 1, "kib": 1 << 10, "kb": 1000, "mib": 1 << 20, "mb": 1000**2, "gib": 1 << 30, "gb": 1000**3,
               "tib": 1 << 40, "tb": 1000**4, "pib": 1 << 50, "pb": 1000**5, "eib": 1 << 60, "eb": 1000**6,
               "": 1, "ki": 1 << 10, "k": 1000, "mi": 1 << 20, "m": 1000**2, "gi": 1 << 30, "g": 1000**3,
               "ti": 1 << 40, "t": 1000**4, "pi": 1 << 50, "p": 1000**5, "ei": 1 << 60, "e": 1000**6}


def parse_bytes(text: str) -> int:
    """humanize.ParseBytes: a number (digits, '.', ',') then an optional unit; ValueError as humanize words it."""
    end = 0
    while end < len(text) and (text[end].isdigit() or text[end] in ".,"):  # unicode.IsDigit, as Go
        end += 1
    number = text[:end].replace(",", "")
    value = parse_float(number) if number.isascii() else _refuse_float(number)
    unit = text[end:].strip(" \t\n\v\f\r\x85\xa0").lower()
    multiplier = _SIZE_UNITS.get(unit)
    if multiplier is None:
        raise ValueError(f"unhandled size name: {clip(unit)}")
    value *= multiplier
    if value >= 2.0**64:
        raise ValueError(f"too large: {clip(text)}")
    return int(value)


def _refuse_float(number: str) -> float:
    raise ValueError(f"strconv.ParseFloat: parsing {go_quote(number)}: invalid syntax")


def is_local_path(path: str) -> bool:
    """path/filepath.IsLocal on Unix: relative, non-empty, and never escaping its directory."""
    if path.startswith("/") or path == "":
        return False
    if any(part in (".", "..") for part in path.split("/")):
        path = posixpath.normpath(path)
    return not (path == ".." or path.startswith("../"))


def split_host_port(hostport: str) -> tuple[str, str]:
    """net.SplitHostPort; ValueError with net.AddrError's message."""
    def refuse(why: str) -> ValueError:
        return ValueError(f"address {clip(hostport)}: {why}" if hostport else why)

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


@dataclass(frozen=True)
class URL:
    """The parts of a net/url.URL that Talos's checks read."""

    scheme: str
    host: str
    path: str
    opaque: str

    @property
    def port(self) -> str:
        """URL.Port (portOnly)."""
        colon = self.host.find(":")
        if colon < 0:
            return ""
        bracket = self.host.find("]:")
        if bracket >= 0:
            return self.host[bracket + 2:]
        return "" if "]" in self.host else self.host[colon + 1:]


def parse_url(raw: str) -> URL:
    """net/url.Parse; ValueError with url.Error's message (parse "<url>": <why>) for what Go refuses."""
    without_fragment, _, fragment = raw.partition("#")
    try:
        parsed = _parse_url(without_fragment)
        _unescape(fragment, host=False)
    except ValueError as error:
        raise ValueError(f"parse {go_quote(without_fragment)}: {error}") from None
    return parsed


def _parse_url(raw: str) -> URL:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw):
        raise ValueError("net/url: invalid control character in URL")
    if raw == "*":
        return URL("", "", "*", "")
    scheme, rest = _url_scheme(raw)
    scheme = scheme.lower()
    rest = rest[:-1] if rest.endswith("?") and rest.count("?") == 1 else rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return URL(scheme, "", "", rest)
        if ":" in rest.partition("/")[0]:
            raise ValueError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = _url_authority(authority)
    return URL(scheme, host, _unescape(rest, host=False), "")


def _url_scheme(raw: str) -> tuple[str, str]:
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


_USERINFO_OK = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*")


def _url_authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _url_host(authority[at + 1:] if at >= 0 else authority)
    if at >= 0 and not _USERINFO_OK.fullmatch(authority[:at]):
        raise ValueError("net/url: invalid userinfo")
    return host


def _url_host(host: str) -> str:
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            raise ValueError("missing ']' in host")
        port = host[close + 1:]
    else:
        colon = host.rfind(":")
        port = host[colon:] if colon >= 0 else ""
    if port and not re.fullmatch(r":[0-9]*", port):
        raise ValueError(f"invalid port {go_quote(port)} after host")
    return _unescape(host, host=True)


# net/url shouldEscape(c, encodeHost): what a host may hold unescaped besides letters and digits
_HOST_OK = set("-_.~!$&'()*+,;=:[]<>\"")


def _unescape(text: str, *, host: bool) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            escape = text[index:index + 3]
            if not re.fullmatch(r"%[0-9A-Fa-f]{2}", escape):
                raise ValueError(f"invalid URL escape {go_quote(escape)}")
            if host and int(escape[1], 16) < 8 and escape != "%25":
                raise ValueError(f"invalid URL escape {go_quote(escape)}")
            out.append(chr(int(escape[1:], 16)))
            index += 3
            continue
        if host and ord(char) < 0x80 and not char.isalnum() and char not in _HOST_OK:
            raise ValueError(f"invalid character {go_quote(char)} in host name")
        out.append(char)
        index += 1
    return "".join(out)
