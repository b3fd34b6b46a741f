"""dustin/go-humanize (bytes.go): ``ParseBytes`` ("100 GB", "1.5TiB", with the library's error texts) and
``Bytes`` (SI units, as talosctl prints disk sizes)."""

from __future__ import annotations

import math

from .strconv import clip, parse_float, quote

# bytes.go bytesSizeTable
_UNITS = {"b": 1, "kib": 1 << 10, "kb": 1000, "mib": 1 << 20, "mb": 1000**2, "gib": 1 << 30, "gb": 1000**3,
          "tib": 1 << 40, "tb": 1000**4, "pib": 1 << 50, "pb": 1000**5, "eib": 1 << 60, "eb": 1000**6,
          "": 1, "ki": 1 << 10, "k": 1000, "mi": 1 << 20, "m": 1000**2, "gi": 1 << 30, "g": 1000**3,
          "ti": 1 << 40, "t": 1000**4, "pi": 1 << 50, "p": 1000**5, "ei": 1 << 60, "e": 1000**6}


def parse_bytes(text: str) -> int:
    """humanize.ParseBytes: a number (digits, '.', ',') then an optional unit; ValueError as humanize words it."""
    end = 0
    while end < len(text) and (text[end].isdigit() or text[end] in ".,"):  # unicode.IsDigit, as Go
        end += 1
    number = text[:end].replace(",", "")
    if not number.isascii():  # a non-ASCII digit passes IsDigit but not ParseFloat
        raise ValueError(f"strconv.ParseFloat: parsing {quote(number)}: invalid syntax")
    value = parse_float(number)
    unit = text[end:].strip(" \t\n\v\f\r\x85\xa0").lower()
    multiplier = _UNITS.get(unit)
    if multiplier is None:
        raise ValueError(f"unhandled size name: {clip(unit)}")
    value *= multiplier
    if value >= 2.0**64:
        raise ValueError(f"too large: {clip(text)}")
    return int(value)


def format_bytes(size: int) -> str:
    """humanize.Bytes: SI units, one decimal below 10 (34359738368 -> "34 GB", 1500 -> "1.5 kB")."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    if size < 10:
        return f"{size} B"
    exponent = min(math.floor(math.log(size, 1000)), len(units) - 1)
    value = math.floor(size / 1000**exponent * 10 + 0.5) / 10
    return f"{value:.0f} {units[exponent]}" if value >= 10 else f"{value:.1f} {units[exponent]}"
