"""Errors a user can act on: each names its input and what was expected. Text from outside (a node, an API
server, a file) is printed through `terminal_safe` only."""

from __future__ import annotations

import re
from typing import Any

EXCERPT = 60  # an error never echoes more of an input than this (a 1 MB value once made a 1 MB message)
# What a peer says is cut too, at lengths no honest peer reaches: a name (hostname, id, label) to the longest
# DNS name (RFC 1035: 253 characters; Kubernetes and Talos names are DNS names), a message (a node's error, an
# API server's Status message) long enough for Talos's multi-error validation lists.
NAME_LIMIT = 253
MESSAGE_LIMIT = 1000

# What a terminal obeys instead of showing: C0 controls (ESC starts ANSI/OSC sequences: clear the screen, set
# the window title, write the clipboard), DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode format
# characters that reorder or hide text (bidi embeddings, overrides, isolates: CVE-2021-42574).
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
_UNSAFE_LINE = re.compile(f"[{_CONTROL}\t\n]")  # one line: tab and newline are shown too
_UNSAFE_LINES = re.compile(f"[{_CONTROL}]")  # several lines (a log, a multi-line message)


def shorten(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def excerpt(value: Any) -> str:
    """repr of a user's value, cut short for an error line (repr shows control characters escaped)."""
    return shorten(repr(value))


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_safe(text: str | bytes, limit: int | None = NAME_LIMIT, *, lines: bool = False) -> str:
    """Outside text fit to print: control characters shown escaped (ESC as ``\\x1b``), never obeyed, and at most
    `limit` characters (None: no cut, for a log line already bounded by its reader). `lines` keeps newlines
    and tabs (a log, a multi-line message); otherwise the text stays on one line."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if limit is not None and len(text) > limit:
        text = text[:limit + 1]  # escaping only lengthens: the rest cannot show; +1 keeps the "..." mark
    safe = (_UNSAFE_LINES if lines else _UNSAFE_LINE).sub(_escape, text)
    return safe if limit is None else shorten(safe, limit)


class TalosError(Exception):
    """A user-facing error. The CLI prints ``str(error)`` and exits non-zero, without a traceback."""


class VersionError(TalosError):
    pass


class SecretsError(TalosError):
    pass


class PatchError(TalosError):
    pass


class ConfigError(TalosError):
    pass
