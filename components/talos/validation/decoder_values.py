"""The values Talos's decoder refuses, per Go type, with the text Talos prints (go-yaml v4 into the kind's Go struct:
each type's UnmarshalText/UnmarshalYAML, time.Duration and sized integers). ``decoded_fields.py`` says which yaml
path of which kind has which Go type; ``decoder.py`` reports what these parsers refuse, once, for every kind.

Each parser takes the YAML value (a scalar as the loader built it, or a mapping or list where the Go type takes
one) and returns the refusal as ``(text, rule)``, the rule being the rules.tsv site that words it ("" where the
decoder's own wrapping, R011, is all of it), or None. A value of the wrong YAML shape is strict.py's to report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..golang import durations, encoding, humanize, netip, url
from ..golang.strconv import clip, format_float, is_print, parse_float, parse_uint, quote, scalar_text

Refusal = tuple[str, str] | None


def _is_scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, (dict, list))


def _yaml_tag(value: Any) -> str:
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    return "!!float" if isinstance(value, float) else "!!str"


def type_error(value: Any, go_type: str, minor: int) -> str:
    """go-yaml's tag error: ``cannot construct !!str `5x` into time.Duration`` (v1.12's go-yaml: unmarshal)."""
    text = scalar_text(value)
    shown = text[:7] + "..." if len(text) > 10 else text
    verb = "unmarshal" if minor <= 12 else "construct"
    return f"cannot {verb} {_yaml_tag(value)} `{shown}` into {go_type}"


def _duration(value: Any, minor: int) -> Refusal:
    # constructor.go: a !!str goes through time.ParseDuration; an !!int only as 0; nothing else
    if isinstance(value, str):
        try:
            durations.parse_duration(value)
            return None
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return None
    return type_error(value, "time.Duration", minor), ""


def _text_parser(parse: Callable[[str], object]) -> Callable[[Any, int], Refusal]:
    """A TextUnmarshaler: the scalar's text, "" being the zero value; the parser's error as it is."""
    def refuse(value: Any, minor: int) -> Refusal:
        text = scalar_text(value)
        if not _is_scalar(value) or text == "":
            return None
        try:
            parse(text)
        except ValueError as error:
            return str(error), ""
        return None
    return refuse


def _hardware_address(text: str) -> None:
    """nethelpers.HardwareAddr.UnmarshalText: encoding/hex Decode of the text without its colons."""
    raw = text.replace(":", "").encode("utf-8", "surrogatepass")

    def invalid(byte: int) -> ValueError:  # InvalidByteError: %#U of the byte as a rune
        shown = f" '{chr(byte)}'" if is_print(chr(byte)) else ""
        return ValueError(f"encoding/hex: invalid byte: U+{byte:04X}{shown}")

    hexadecimal = b"0123456789abcdefABCDEF"
    for index in range(1, len(raw), 2):
        for byte in raw[index - 1:index + 1]:
            if byte not in hexadecimal:
                raise invalid(byte)
    if len(raw) % 2:
        if raw[-1] not in hexadecimal:
            raise invalid(raw[-1])
        raise ValueError("encoding/hex: odd length hex string")


def _fail_over_mac(text: str) -> None:
    """nethelpers.FailOverMAC.UnmarshalText: a name, or for legacy configs a number 0-2."""
    if text in ("", "none", "active", "follow") or (text.lstrip("+-").isdigit() and 0 <= int(text) <= 2):
        return
    raise ValueError(f"invalid fail_over_mac value {clip(text)}")


def _percentage(text: str, minor: int) -> Refusal:
    """block.PercentageSize.UnmarshalText (the sign is read from v1.13)."""
    if not text.endswith("%"):
        return "percentage must end with '%'", "R047"
    number = text[1:-1] if text.startswith("-") and minor >= 13 else text[:-1]
    try:
        percent = parse_float(number)
    except ValueError as error:
        return f"invalid percentage value: {error}", "R048"
    if percent < 0 or percent > 100:  # NaN passes, as in Go
        return f"percentage must be between 0 and 100, got {format_float(percent)}", "R049"
    return None


def _byte_size(text: str, minor: int) -> Refusal:
    """block.ByteSize.UnmarshalText: go-humanize bytes (the sign is read from v1.13)."""
    try:
        humanize.parse_bytes(text[1:] if text.startswith("-") and minor >= 13 else text)
    except ValueError as error:
        return str(error), ""
    return None


def _sized(kind: str) -> Callable[[Any, int], Refusal]:
    """block.ByteSize, or block.Size (a PercentageSize when the text has a '%')."""
    def refuse(value: Any, minor: int) -> Refusal:
        text = scalar_text(value)
        if not _is_scalar(value) or text == "":
            return None
        if kind == "size" and "%" in text:
            return _percentage(text, minor)
        return _byte_size(text, minor)
    return refuse


def _disk_size_matcher(value: Any, minor: int) -> Refusal:
    """v1alpha1.InstallDiskSizeMatcher.UnmarshalYAML: ``[op]<size>`` with a go-humanize size."""
    if not _is_scalar(value):
        return None
    condition = scalar_text(value).strip()
    operator = next((op for op in (">=", "<=", ">", "<", "==") if condition.startswith(op)), "")
    rest = condition[len(operator):]  # (>=|<=|>|<|==)?\b*(.*)$: the rest as it is, spaces included
    try:
        humanize.parse_bytes(rest.strip())
    except ValueError as error:
        return f"failed to parse disk size {clip(rest)}: {error}", "R444"
    return None


def _base64(value: Any, minor: int, *, key: bool = False) -> Refusal:
    """base64.StdEncoding.DecodeString (siderolabs/crypto's certificate and key fields, v1alpha1.Base64Bytes);
    a key may be "******", a redacted config's placeholder."""
    text = scalar_text(value)
    if not _is_scalar(value) or (key and text == "******"):
        return None
    try:
        encoding.base64_decoded_length(text)
    except ValueError as error:
        return str(error), ""
    return None


def _port_range(value: Any, minor: int) -> Refusal:
    """network.PortRange.UnmarshalYAML: a port number, else "lo-hi"."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return None
    if not _is_scalar(value):
        return None
    text = scalar_text(value)
    low, dash, high = text.partition("-")
    if not dash:
        return f"invalid port range: {quote(text)}", "R306"
    for part, rule in ((low, "R307"), (high, "R308")):
        try:
            parse_uint(part, 16)
        except ValueError:
            return f"invalid port range: {quote(text)}", rule
    return None


def _arg_value(value: Any, minor: int) -> Refusal:
    """meta.ArgValue.UnmarshalYAML (v1alpha1.ArgValue in v1.13): a string, else a list of strings."""
    if value is None or _is_scalar(value):
        return None
    if isinstance(value, list) and all(item is None or _is_scalar(item) for item in value):
        return None
    return "arg value must be a string or list of strings", "R233" if minor >= 14 else "X12"


_INTEGER_BITS = {"int8": (True, 8), "int16": (True, 16), "int32": (True, 32), "uint": (False, 64),
                 "uint8": (False, 8), "uint16": (False, 16), "uint32": (False, 32), "uint64": (False, 64)}


def _integer(go_type: str) -> Callable[[Any, int], Refusal]:
    signed, bits = _INTEGER_BITS[go_type]
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)

    def refuse(value: Any, minor: int) -> Refusal:
        # an integer out of the Go type's range; other scalars are strict.py's "expected an integer"
        if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
            return type_error(value, go_type, minor), ""
        return None
    return refuse


def _enum(go_type: str) -> Callable[[Any, int], Refusal]:
    def refuse(value: Any, minor: int) -> Refusal:
        from .decoded_fields import ENUMS

        text = scalar_text(value)
        if not _is_scalar(value):
            return None
        release = min(max(minor, 12), 14)
        names = next((names for minors, names in ENUMS[go_type] if release in minors), ())
        if text in names or text.lower() in {name.lower() for name in names}:
            return None
        return f"{clip(text)} does not belong to {go_type} values", ""  # enumer's XString
    return refuse


_PARSERS: dict[str, Callable[[Any, int], Refusal]] = {
    "duration": _duration,
    "prefix": _text_parser(netip.parse_prefix),
    "addr": _text_parser(netip.parse_addr),
    "addrport": _text_parser(netip.parse_addr_port),
    "url": _text_parser(url.parse),
    "hwaddr": _text_parser(_hardware_address),
    "failovermac": _text_parser(_fail_over_mac),
    "bytesize": _sized("bytesize"),
    "size": _sized("size"),
    "humanize": _text_parser(humanize.parse_bytes),
    "disksize": _disk_size_matcher,
    "base64": _base64,
    "base64key": lambda value, minor: _base64(value, minor, key=True),
    "portrange": _port_range,
    "args": _arg_value,
}


def parser(code: str) -> Callable[[Any, int], Refusal]:
    """The parser of a decoded_fields.py code: a name above, ``enum:<Go type>`` or ``int:<Go type>``."""
    kind, _, go_type = code.partition(":")
    if kind == "enum":
        return _enum(go_type)
    if kind == "int":
        return _integer(go_type)
    return _PARSERS[code]


def known(code: str) -> bool:
    kind, _, go_type = code.partition(":")
    return code in _PARSERS or (kind == "int" and go_type in _INTEGER_BITS) or kind == "enum"
