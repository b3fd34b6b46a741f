"""Go's time.Duration as text: ``time.ParseDuration`` and ``Duration.String``, in integer nanoseconds.

Talos's config types hold durations as ``time.Duration`` (go-yaml decodes them with ParseDuration), and
its error messages print them with ``%s`` (``Duration.String``), so a port needs both, exactly.
"""

from __future__ import annotations

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

# src/time/format.go unitMap: "µs" is U+00B5 (micro sign), "μs" U+03BC (Greek mu).
_UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "\u00b5s": MICROSECOND, "\u03bcs": MICROSECOND,
          "ms": MILLISECOND, "s": SECOND, "m": MINUTE, "h": HOUR}
_MAX = 1 << 63


def parse_duration(text: str) -> int | None:
    """Nanoseconds from ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` as time.ParseDuration reads it, or None where
    Go returns an error (no unit, an unknown unit, overflow, spaces)."""
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total = 0
    while rest:
        if not (rest[0] == "." or (rest[0].isascii() and rest[0].isdigit())):
            return None
        digits = _leading_digits(rest)
        whole, rest = (int(digits) if digits else 0), rest[len(digits):]
        if whole >= _MAX:
            return None
        fraction, scale, has_fraction = 0, 1, False
        if rest[:1] == ".":
            rest = rest[1:]
            decimals = _leading_digits(rest)
            has_fraction, rest = bool(decimals), rest[len(decimals):]
            for digit in decimals:  # leadingFraction: digits past int64 precision are dropped
                if fraction > (_MAX - 1) // 10:
                    continue
                fraction, scale = fraction * 10 + int(digit), scale * 10
        if not digits and not has_fraction:
            return None
        end = 0
        while end < len(rest) and not (rest[end] == "." or (rest[end].isascii() and rest[end].isdigit())):
            end += 1
        unit = _UNITS.get(rest[:end])
        if unit is None:
            return None
        rest = rest[end:]
        if whole > _MAX // unit:
            return None
        value = whole * unit
        if fraction:
            value += int(float(fraction) * (float(unit) / scale))
            if value > _MAX:
                return None
        total += value
        if total > _MAX:
            return None
    if negative:
        return -total
    return None if total > _MAX - 1 else total


def _leading_digits(text: str) -> str:
    end = 0
    while end < len(text) and text[end].isascii() and text[end].isdigit():
        end += 1
    return text[:end]


def format_duration(nanoseconds: int) -> str:
    """Duration.String: ``1h2m3.5s``, ``1.5ms``, ``0s``, ``-5s``."""
    negative, value = nanoseconds < 0, abs(nanoseconds)
    if value < SECOND:
        if value == 0:
            return "0s"
        if value < MICROSECOND:
            text = f"{value}ns"
        elif value < MILLISECOND:
            text = _fraction(value, 3) + "\u00b5s"
        else:
            text = _fraction(value, 6) + "ms"
    else:
        whole_seconds, nanos = divmod(value, SECOND)
        seconds = _fraction_text(whole_seconds % 60, nanos, 9) + "s"
        minutes, hours = (whole_seconds // 60) % 60, whole_seconds // 3600
        text = seconds
        if whole_seconds >= 60:
            text = f"{minutes}m" + text
        if hours:
            text = f"{hours}h" + text
    return "-" + text if negative else text


def _fraction(value: int, precision: int) -> str:
    whole, rest = divmod(value, 10**precision)
    return _fraction_text(whole, rest, precision)


def _fraction_text(whole: int, rest: int, precision: int) -> str:
    digits = f"{rest:0{precision}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
