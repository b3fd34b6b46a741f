"""Go's time.Duration as text: ``time.ParseDuration`` and ``Duration.String`` (src/time/format.go, time.go), in
integer nanoseconds. The one duration reader of the project: stack settings, CLI flags and Talos's config checks
take durations as Go programs do."""

from __future__ import annotations

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

# format.go unitMap: "µs" is U+00B5 (micro sign), "μs" U+03BC (Greek mu)
_UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "\u00b5s": MICROSECOND, "\u03bcs": MICROSECOND,
          "ms": MILLISECOND, "s": SECOND, "m": MINUTE, "h": HOUR}
_LIMIT = 1 << 63


def _quote(text: str) -> str:
    """format.go quote: '"' and '\\' escaped, control and non-ASCII characters as \\x bytes of their UTF-8."""
    out = ['"']
    for char in text:
        if char < " " or ord(char) >= 0x80:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + char if char in '"\\' else char)
    return "".join(out) + '"'


def _digits(text: str) -> str:
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end]


def parse_duration(text: str) -> int:
    """time.ParseDuration: nanoseconds of ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+``; ValueError with Go's message."""
    invalid = ValueError(f"time: invalid duration {_quote(text)}")
    rest, negative = text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise invalid
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise invalid
        whole_text = _digits(rest)
        rest = rest[len(whole_text):]
        whole = 0
        for digit in whole_text:  # leadingInt
            if whole > _LIMIT // 10:
                raise invalid
            whole = whole * 10 + int(digit)
            if whole > _LIMIT:
                raise invalid
        fraction, scale, has_fraction = 0, 1.0, False
        if rest[:1] == ".":
            fraction_text = _digits(rest[1:])
            rest, has_fraction = rest[1 + len(fraction_text):], bool(fraction_text)
            overflow = False
            for digit in fraction_text:  # leadingFraction: digits past int64 precision are dropped
                if overflow or fraction > (_LIMIT - 1) // 10 or fraction * 10 + int(digit) > _LIMIT:
                    overflow = True
                    continue
                fraction, scale = fraction * 10 + int(digit), scale * 10
        if not whole_text and not has_fraction:
            raise invalid
        end = 0
        while end < len(rest) and not (rest[end] == "." or "0" <= rest[end] <= "9"):
            end += 1
        if end == 0:
            raise ValueError(f"time: missing unit in duration {_quote(text)}")
        unit = _UNITS.get(rest[:end])
        if unit is None:
            raise ValueError(f"time: unknown unit {_quote(rest[:end])} in duration {_quote(text)}")
        rest = rest[end:]
        if whole > _LIMIT // unit:
            raise invalid
        value = whole * unit
        if fraction:
            value += int(float(fraction) * (float(unit) / scale))  # float64, as Go, for fractions of hours
            if value > _LIMIT:
                raise invalid
        total += value
        if total > _LIMIT:
            raise invalid
    if negative:
        return -total
    if total > _LIMIT - 1:
        raise invalid
    return total


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
        text = _fraction_text(whole_seconds % 60, nanos, 9) + "s"
        if whole_seconds >= 60:
            text = f"{(whole_seconds // 60) % 60}m" + text
        if whole_seconds >= 3600:
            text = f"{whole_seconds // 3600}h" + text
    return "-" + text if negative else text


def _fraction(value: int, precision: int) -> str:
    whole, rest = divmod(value, 10**precision)
    return _fraction_text(whole, rest, precision)


def _fraction_text(whole: int, rest: int, precision: int) -> str:
    digits = f"{rest:0{precision}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
