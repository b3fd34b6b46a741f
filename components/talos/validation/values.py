"""Reading a document as Talos's Go structs hold it: a missing or null field is the zero value.

The one reader of document fields for every check. The decoder (decoder.py) has refused what Talos cannot decode
before any check runs, so the typed readers below (durations, sizes, prefixes, URLs, enum names) parse silently
and give the zero value for anything else; every reader tolerates any value and never raises, for a check may
still be handed a document the decoder would refuse (tests do it on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..golang import durations, humanize, netip, url
from ..golang.strconv import parse_float, scalar_text

Document = dict[str, Any]


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def indexed(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of a list of structs; a null or non-mapping item is the zero struct."""
    for index, item in enumerate(items(value)):
        yield index, mapping(item)


def dig(document: Any, *path: str) -> Any:
    """document[path[0]][path[1]]...; None where any step is missing or not a mapping."""
    value = document
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str:
    """A Go string field: the YAML scalar's text, "" for null (and for what no string decodes from)."""
    return "" if isinstance(value, (dict, list)) else scalar_text(value)


def number(value: Any) -> int:
    """A Go integer field: 0 for null or anything that is not an integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def flag(value: Any) -> bool:
    """A Go *bool field read with pointer.SafeDeref."""
    return value is True


def present(document: Any, *path: str) -> bool:
    """A Go pointer/slice/map field is non-nil: the key is there with a non-null value."""
    parent = dig(document, *path[:-1]) if len(path) > 1 else document
    return isinstance(parent, dict) and parent.get(path[-1]) is not None


# --- fields whose Go type the decoder parsed (decoded_fields.py) ---------------------------------------------

def duration(value: Any) -> int:
    """A time.Duration in nanoseconds (0 when absent)."""
    try:
        return durations.parse_duration(value) if isinstance(value, str) else 0
    except ValueError:
        return 0


def prefix(value: Any) -> netip.Prefix | None:
    """A netip.Prefix / meta.Prefix; None for the zero prefix."""
    try:
        return netip.parse_prefix(text(value)) if text(value) else None
    except ValueError:
        return None


def address(value: Any) -> netip.IPAddress | None:
    """A netip.Addr / meta.Addr; None for the zero address."""
    try:
        return netip.parse_addr(text(value)) if text(value) else None
    except ValueError:
        return None


def url_of(value: Any) -> url.URL | None:
    """A meta.URL; None when empty."""
    try:
        return url.parse(text(value)) if text(value) else None
    except ValueError:
        return None


def enum_name(value: Any, default: str) -> str:
    """An enumer enum's name in lower case (UnmarshalText takes any case); `default` for the zero value."""
    return text(value).lower() or default


@dataclass(frozen=True)
class Size:
    """block.ByteSize / block.Size as decoded: set, the byte value, relative (a percentage), negative."""

    present: bool = False
    value: int = 0
    relative: bool = False
    negative: bool = False


def size(value: Any, minor: int) -> Size:
    """block.Size or block.ByteSize (the sign is read from v1.13); the zero Size when absent."""
    raw = text(value)
    if not raw:
        return Size()
    negative = raw.startswith("-") and minor >= 13
    body = raw[1:] if negative else raw
    try:
        if "%" in raw:
            return Size(True, int(parse_float(body[:-1])), True, negative)
        return Size(True, humanize.parse_bytes(body), False, negative)
    except ValueError:
        return Size()
