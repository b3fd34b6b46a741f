"""Go's strconv and unicode as Talos's messages use them: %q quoting, numbers parsed and printed as Go does."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

from ..errors import shorten

QUOTE_LIMIT = 200  # a value echoed in a message is cut here: a peer's 1 MB value never makes a 1 MB error


def clip(text: str) -> str:
    """A value echoed unquoted in a message, cut short as ``quote`` cuts quoted ones."""
    return shorten(text, QUOTE_LIMIT)


def is_print(char: str) -> bool:
    """unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def is_space(char: str) -> bool:
    """unicode.IsSpace: '\\t', '\\n', '\\v', '\\f', '\\r', ' ', U+0085, U+00A0 and Unicode's White_Space."""
    return char.isspace() or char in "\u0085\u00a0"


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """strconv.Quote (fmt's %q of a string): non-printable runes escaped as Go escapes them, cut at `limit`."""
    out = ['"']
    for char in shorten(text, limit):
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif is_print(char):
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:  # not a valid rune: Go writes the replacement character
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def quote_list(items: Iterable[str]) -> str:
    """fmt's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(quote(item) for item in items) + "]"


def byte_length(text: str) -> int:
    """Go's len() of a string: UTF-8 bytes (a lone surrogate from a YAML escape counts as Go's U+FFFD, 3)."""
    return len(text.encode("utf-8", "surrogatepass"))


def scalar_text(value: object) -> str:
    """The text go-yaml hands a string field or a TextUnmarshaler for a YAML scalar (null is "")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE)


def parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64) for decimal text; ValueError with Go's message otherwise."""
    if not text.isascii() or not _FLOAT.fullmatch(text):
        raise ValueError(f"strconv.ParseFloat: parsing {quote(text)}: invalid syntax")
    value = float(text)
    if math.isinf(value) and "inf" not in text.lower():
        raise ValueError(f"strconv.ParseFloat: parsing {quote(text)}: value out of range")
    return value


def parse_uint(text: str, bits: int = 64) -> int:
    """strconv.ParseUint(text, 10, bits); ValueError with Go's message otherwise."""
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(f"strconv.ParseUint: parsing {quote(text)}: invalid syntax")
    value = int(text)
    if value >= 1 << bits:
        raise ValueError(f"strconv.ParseUint: parsing {quote(text)}: value out of range")
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
    mantissa, _, exponent_text = repr(abs(value)).partition("e")  # repr is the shortest round-trip form too
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0")
    digits = (whole + fraction).lstrip("0").rstrip("0") or "0"
    exponent = int(exponent_text or 0) + len(whole) - 1
    if whole == "0":  # 0.000123: the exponent comes from the leading zeros of the fraction
        exponent = -(len(fraction) - len(fraction.lstrip("0"))) - 1
    if exponent < -4 or exponent >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent >= 0:
        integer = digits[:exponent + 1].ljust(exponent + 1, "0")
        rest = digits[exponent + 1:]
        return f"{sign}{integer}{'.' + rest if rest else ''}"
    return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
