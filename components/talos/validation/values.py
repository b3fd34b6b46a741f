"""Reading a decoded document as Talos's Go structs see it: a missing or null field is the zero value.

The decoder (strict.py) has already refused values of the wrong shape, but checks run on whatever the
user wrote, so every reader here tolerates anything and never raises.
"""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dig(document: Any, *path: str) -> Any:
    """document[path[0]][path[1]]...; None where any step is missing or not a mapping."""
    value = document
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str:
    """A Go string field: "" for null, the YAML scalar's text otherwise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


QUOTED_LIMIT = 200  # a value quoted in an error is cut here: a peer's megabyte value makes no megabyte error


def quote(value: str) -> str:
    """Go's %q for a string (ASCII escapes; non-printable characters as \\x or \\u escapes), cut short."""
    if len(value) > QUOTED_LIMIT:
        value = value[:QUOTED_LIMIT - 3] + "..."
    out = ['"']
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x80 else (f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
