"""talhelper pkg/config/gitignore.go: add each generated file to ``OUT/.gitignore`` unless a line already
ignores it; the user's own lines stay (the file is appended to, never through a symbolic link).

A file name is written as a pattern that matches exactly that name, by git's own rules, and whether a line
already ignores a name is decided by those rules too, so no node config full of secrets is ever staged by
``git add -A``. git's rules (dir.c add_patterns_from_buffer, trim_trailing_spaces, parse_path_pattern,
match_basename/match_pathname, last_matching_pattern_from_list; wildmatch.c dowild):
- a line starting with ``#`` is a comment, a leading ``!`` negates, a backslash escapes the next character
  (so ``\\#``, ``\\!``, ``\\[``, ``\\*``, ``\\?``, ``\\\\``, ``\\ `` are literal); unescaped trailing spaces are
  cut and a CR before the LF is dropped, so a name ending in a space is escaped and one holding a newline
  or a CR cannot be written at all;
- a pattern ending in ``/`` matches directories only; one with a ``/`` elsewhere matches the path from
  the .gitignore's folder (a leading ``**/`` matching no folder); others match the base name;
- ``*`` and ``?`` match any bytes but ``/``, ``[...]`` is a byte class (``!``/``^`` negate, ranges,
  ``[:alpha:]`` classes); an unclosed class or a trailing backslash matches nothing; the last matching
  line decides.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError, excerpt
from ..files import append_output, read_output

MAX_GITIGNORE_BYTES = 1024 * 1024
_SPECIAL = frozenset("\\*?[")
_ASCII_CLASSES: dict[bytes, frozenset[int]] = {
    name: frozenset(byte for byte in range(128) if test(chr(byte))) for name, test in (
        (b"alnum", str.isalnum), (b"alpha", str.isalpha), (b"blank", lambda c: c in " \t"),
        (b"cntrl", lambda c: ord(c) < 32 or ord(c) == 127), (b"digit", str.isdigit),
        (b"graph", lambda c: 33 <= ord(c) <= 126), (b"lower", str.islower), (b"print", lambda c: 32 <= ord(c) <= 126),
        (b"punct", lambda c: 33 <= ord(c) <= 126 and not c.isalnum()), (b"space", lambda c: c in " \t\n\v\f\r"),
        (b"upper", str.isupper), (b"xdigit", lambda c: c in "0123456789abcdefABCDEF"))}


def ignore_line(name: str, what: str = "file name") -> str:
    """The .gitignore line that matches exactly ``name`` (a plain file name, no slash)."""
    if "\n" in name or "\r" in name or "/" in name or not name:
        raise ConfigError(f"{what} {excerpt(name)} cannot be written as a .gitignore line (a newline, a carriage "
                          "return or a slash); expected a plain file name")
    escaped = "".join("\\" + char if char in _SPECIAL else char for char in name)
    if escaped[0] in "#!\ufeff":
        escaped = "\\" + escaped
    trailing = len(escaped) - len(escaped.rstrip(" "))
    if trailing:
        escaped = escaped[:-trailing] + "\\ " * trailing
    if not ignored(name, escaped + "\n"):
        raise ConfigError(f"{what} {excerpt(name)} cannot be matched by a .gitignore line")
    return escaped


def _trim_trailing_spaces(line: bytes) -> bytes:
    """dir.c trim_trailing_spaces: cut unescaped trailing spaces (not tabs)."""
    last_space = None
    index = 0
    while index < len(line):
        char = line[index:index + 1]
        if char == b" ":
            last_space = index if last_space is None else last_space
        elif char == b"\\":
            index += 1
            if index >= len(line):
                return line
            last_space = None
        else:
            last_space = None
        index += 1
    return line if last_space is None else line[:last_space]


def _byte_class(body: bytes, start: int) -> tuple[frozenset[int], int] | None:
    """wildmatch.c ``[...]`` from ``start`` (just after ``[``): the bytes it matches and the index after
    ``]``; None when it is malformed (git then matches nothing)."""
    index, members, previous = start, set(), None
    negated = body[index:index + 1] in (b"!", b"^")
    index += negated
    first = True
    while True:
        if index >= len(body):
            return None
        char = body[index]
        if char == ord("]") and not first:
            break
        first = False
        if char == ord("\\"):
            index += 1
            if index >= len(body):
                return None
            members.add(body[index])
            previous = body[index]
        elif char == ord("-") and previous is not None and index + 1 < len(body) and body[index + 1] != ord("]"):
            index += 1
            high = body[index]
            if high == ord("\\"):
                index += 1
                if index >= len(body):
                    return None
                high = body[index]
            members.update(range(previous, high + 1))
            previous = None
        elif char == ord("[") and body[index + 1:index + 2] == b":":
            close = body.find(b"]", index + 2)
            if close < 0:
                return None
            if close - (index + 2) < 1 or body[close - 1] != ord(":"):
                members.add(char)  # not a [:class:]: the "[" is literal and ":" is read next
                previous = char
                index += 1
                continue
            named = _ASCII_CLASSES.get(body[index + 2:close - 1])
            if named is None:
                return None
            members.update(named)
            previous, index = None, close
        else:
            members.add(char)
            previous = char
        index += 1
    allowed = frozenset(range(256)) - members if negated else frozenset(members)
    return allowed - {ord("/")}, index + 1


def _wildmatch(body: bytes) -> re.Pattern[bytes] | None:
    """A regular expression for wildmatch over a name with no ``/`` (where ``*`` and ``**`` agree)."""
    parts: list[bytes] = []
    index = 0
    while index < len(body):
        char = body[index:index + 1]
        if char == b"\\":
            if index + 1 >= len(body):
                return None
            parts.append(re.escape(body[index + 1:index + 2]))
            index += 2
        elif char == b"?":
            parts.append(b"[^/]")
            index += 1
        elif char == b"*":
            while body[index:index + 1] == b"*":
                index += 1
            parts.append(b"[^/]*")
        elif char == b"[":
            found = _byte_class(body, index + 1)
            if found is None:
                return None
            allowed, index = found
            parts.append(b"[" + b"".join(b"\\x%02x" % byte for byte in sorted(allowed)) + b"]" if allowed
                         else b"(?!)")
        else:
            parts.append(re.escape(char))
            index += 1
    return re.compile(b"".join(parts), re.DOTALL)


def _outside_classes_has_slash(body: bytes) -> bool:
    index = 0
    while index < len(body):
        char = body[index:index + 1]
        if char == b"\\":
            if body[index + 1:index + 2] == b"/":
                return True
            index += 2
        elif char == b"[":
            found = _byte_class(body, index + 1)
            index = found[1] if found else len(body)
        elif char == b"/":
            return True
        else:
            index += 1
    return False


def _patterns(text: str) -> list[tuple[bool, re.Pattern[bytes]]]:
    """The lines of a .gitignore that can match a file name directly in its folder, in order."""
    data = text.encode("utf-8", errors="surrogateescape").removeprefix(b"\xef\xbb\xbf")
    patterns: list[tuple[bool, re.Pattern[bytes]]] = []
    for raw in data.split(b"\n"):
        if not raw or raw.startswith(b"#"):
            continue
        line = _trim_trailing_spaces(raw.removesuffix(b"\r"))
        negative = line.startswith(b"!")
        line = line[1:] if negative else line
        if not line or line.endswith(b"/"):
            continue  # an empty pattern, or one for directories only
        if b"/" in line:  # anchored at this folder; a name here has no slash to match one with
            line = line.removeprefix(b"/")
            while line.startswith(b"**/"):
                line = line[3:]
            if _outside_classes_has_slash(line):
                continue
        regex = _wildmatch(line)
        if regex is not None:
            patterns.append((negative, regex))
    return patterns


def ignored(name: str, text: str) -> bool:
    """Whether the .gitignore ``text`` ignores the file ``name`` in its own folder (core.ignoreCase off)."""
    encoded = name.encode("utf-8", errors="surrogateescape")
    for negative, regex in reversed(_patterns(text)):
        if regex.fullmatch(encoded):
            return not negative
    return False


def append_gitignore(out_dir: Path, names: list[str]) -> Path:
    """Append a line for every name the .gitignore does not ignore yet; the file is created 0644 if absent."""
    path = out_dir / ".gitignore"
    existing = read_output(path, MAX_GITIGNORE_BYTES, ConfigError) or ""
    missing = [ignore_line(name) for name in names if not ignored(name, existing)]
    separator = "\n" if existing and not existing.endswith("\n") and missing else ""
    append_output(path, separator + "".join(f"{line}\n" for line in missing), 0o644, ConfigError)
    return path
