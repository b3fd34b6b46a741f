"""YAML in the dialect Talos reads and writes.

Reading: YAML 1.2 core scalars only (``yes``/``on`` stay strings, no timestamps), keys in file
order, as go-yaml v3 decodes into ``any``.

Writing: byte-compatible with go-yaml's emitter as Talos configures it (4-space indent, the
"next multiple of four" nesting rule, no line folding, go-yaml's quoting choices). PyYAML's
emitter indents sequences differently, so the writer is our own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import EXCERPT
from .files import read_regular_file
from .golang.strconv import quote

Document = dict[str, Any]


# libyaml's parser when PyYAML has it (about 8x faster on machine configs); resolvers stay in Python.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 core-schema resolvers (go-yaml v3 semantics)."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith(("0x", "-0x", "+0x")) else int(text, 10)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


class StrictYAMLError(yaml.YAMLError):
    """Input go-yaml v3 (which Talos and talhelper use) refuses, or that is too large to process safely."""


# Far above any real definition, patch or machine config (the largest, with inline manifests, are a few
# hundred KB) and well under the Talos API's 32 MiB message limit (constants.GRPCMaxMessageSize).
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
# go-yaml v3 allows 10000 (scannerc.go max_flow_level/max_indents); Python walks configs recursively, so a
# depth no config comes near keeps every later step far from the interpreter's recursion limit.
MAX_DEPTH = 200


def _allowed_alias_ratio(decode_count: int) -> float:
    """go-yaml v3 decode.go allowedAliasRatio: 99% below 400k decodes, 10% above 4M, linear between."""
    low, high = 400_000, 4_000_000
    if decode_count <= low:
        return 0.99
    if decode_count >= high:
        return 0.10
    return 0.99 - 0.89 * ((decode_count - low) / (high - low))


def _check_events(text: str | bytes) -> None:
    """One streaming pass over the parser's events, before anything is built.

    - duplicate mapping keys are errors (go-yaml v3 decode.go mapping(): "mapping key %#v already defined
      at line %d"), where PyYAML silently keeps the last value;
    - alias expansion is bounded as go-yaml v3 bounds it (decode.go unmarshal(): "document contains excessive
      aliasing" once aliasCount > 100, decodeCount > 1000 and their ratio exceeds allowedAliasRatio), and an
      anchor may not contain itself (decode.go alias(): "anchor '%s' value contains itself");
    - nesting deeper than MAX_DEPTH is refused.
    Node counts include what aliases would expand to, so a "billion laughs" file fails in microseconds.
    """
    # frames: [weight so far, is_mapping, child index, seen scalar keys {value: line}, anchor]
    frames: list[list[Any]] = []
    weights: dict[str, int] = {}  # anchor -> node count of its (expanded) value
    open_anchors: set[str] = set()
    decode_count = alias_count = 0

    def child(weight: int, key: str | None, line: int) -> None:
        if not frames:
            return
        frame = frames[-1]
        frame[0] += weight
        if frame[1] and frame[2] % 2 == 0 and key is not None:
            seen: dict[str, int] = frame[3]
            if key in seen:
                raise StrictYAMLError(f"line {line}: mapping key {quote(key, EXCERPT)} already defined at line "
                                      f"{seen[key]}")
            seen[key] = line
        frame[2] += 1

    for event in yaml.parse(text, Loader=_BaseLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.ScalarEvent):
            decode_count += 1
            if event.anchor:
                weights[event.anchor] = 1
            child(1, event.value, line)
        elif isinstance(event, yaml.AliasEvent):
            anchor = str(event.anchor)
            if anchor in open_anchors:
                raise StrictYAMLError(f"line {line}: anchor '{anchor}' value contains itself")
            weight = weights.get(anchor, 1)
            decode_count += weight
            alias_count += weight
            if alias_count > 100 and decode_count > 1000 and alias_count / decode_count > \
                    _allowed_alias_ratio(decode_count):
                raise StrictYAMLError(f"line {line}: document contains excessive aliasing")
            child(weight, None, line)
        elif isinstance(event, yaml.CollectionStartEvent):
            decode_count += 1
            if len(frames) >= MAX_DEPTH:
                raise StrictYAMLError(f"line {line}: exceeded max depth of {MAX_DEPTH}")
            if event.anchor:
                open_anchors.add(event.anchor)
            frames.append([1, isinstance(event, yaml.MappingStartEvent), 0, {}, event.anchor])
        elif isinstance(event, yaml.CollectionEndEvent):
            weight, _, _, _, anchor = frames.pop()
            if anchor:
                open_anchors.discard(anchor)
                weights[anchor] = weight
            child(weight, None, line)
        elif isinstance(event, yaml.DocumentEndEvent):
            weights.clear()  # anchors are per document
            decode_count = alias_count = 0


def _checked(text: str | bytes) -> str | bytes:
    if len(text) > MAX_DOCUMENT_BYTES:
        raise StrictYAMLError(f"the file is {len(text)} bytes; expected at most {MAX_DOCUMENT_BYTES} "
                              f"({MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB)")
    if isinstance(text, bytes):
        text = decode_utf8(text)
    _check_events(text)
    return text


def decode_utf8(data: bytes) -> str:
    """UTF-8 text, as go-yaml requires; other encodings are refused naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictYAMLError(f"not UTF-8 text: byte 0x{data[error.start]:02x} at offset {error.start}; "
                              "expected a UTF-8 file") from None


def read_bytes(path: str | Path) -> bytes:
    """A YAML file's bytes, at most one byte past MAX_DOCUMENT_BYTES (the parser refuses that size with a clear
    error): a file that never ends (a device, a FIFO fed forever) is not read to the end."""
    with open(path, "rb") as stream:
        return stream.read(MAX_DOCUMENT_BYTES + 1)


def read_text(path: str | Path) -> str:
    """A YAML file's text; OSError for a file that cannot be read, is not a regular file (a FIFO, a device:
    refused without blocking) or is too large, StrictYAMLError for one that is not UTF-8."""
    return decode_utf8(read_regular_file(path, MAX_DOCUMENT_BYTES))


def read_named(path: str | Path, source: str) -> str:
    """read_text for a file a user points at (a talosconfig, a kube config): any failure is a ConfigError
    naming `source`, never a traceback."""
    from .errors import ConfigError

    try:
        return read_text(path)
    except OSError as error:
        raise ConfigError(f"{source}: {error.strerror or error}") from None
    except StrictYAMLError as error:  # not UTF-8, or larger than any such file
        raise ConfigError(f"{source}: {error}") from None


def load_all(text: str | bytes) -> list[Any]:
    """Parse a multi-document stream; empty documents are dropped, as Talos does."""
    return [doc for doc in yaml.load_all(_checked(text), Loader=_Loader) if doc is not None]


def load_all_with_lines(text: str | bytes) -> list[tuple[Any, int]]:
    """Each non-null document of a stream with the line of its top node (go-yaml's Node.Line: for a mapping,
    the line of its first key), as Talos's decoder reports documents."""
    loader = _Loader(_checked(text))
    documents: list[tuple[Any, int]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if value is not None:
                documents.append((value, node.start_mark.line + 1))
    finally:
        loader.dispose()
    return documents


def load(text: str | bytes) -> Any:
    return yaml.load(_checked(text), Loader=_Loader)


def describe_error(error: Exception) -> str:
    """Where and why YAML failed to parse, without quoting the offending line (it may hold a secret)."""
    if isinstance(error, StrictYAMLError):
        return str(error)
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem or error.context}"
    if isinstance(error, RecursionError):
        return f"nested too deeply; expected at most {MAX_DEPTH} levels"
    return type(error).__name__


# --------------------------------------------------------------------------- writing

_INDENT = 4
_CORE_RESOLVES = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    # go-yaml quotes YAML 1.1 booleans too, so older parsers keep them as strings
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
    # and base-60 / underscored numbers and timestamps
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?)$"
)
_emitter_for_analysis = yaml.emitter.Emitter(stream=None)  # type: ignore[arg-type]
# No indicator, space, break or special character, and not starting with "-", "." or another indicator:
# plain in every context (base64 keys and certificates, names, versions, image references without ":").
_ALWAYS_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+/=._-]*")


def _next_indent(column: int) -> int:
    # go-yaml increaseIndentCompact: every nesting goes to the next multiple of four.
    return _INDENT * ((column + _INDENT) // _INDENT)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if text == "":
        return '""'
    if _CORE_RESOLVES.match(text):
        return _double_quoted(text)
    if _ALWAYS_PLAIN.fullmatch(text):
        return text  # what analyze_scalar says of these, without its per-character loop (keys, certificates)
    analysis = _emitter_for_analysis.analyze_scalar(text)
    if analysis.allow_block_plain and not text.startswith(" ") and not text.endswith(" "):
        return text
    if analysis.allow_single_quoted:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _double_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{escaped}"'


def _is_block_text(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value and not re.search(r"[\x00-\x08\x0b-\x1f]", value)


def _block_lines(text: str, column: int) -> Iterator[str]:
    chomp = "" if text.endswith("\n") and not text.endswith("\n\n") else ("+" if text.endswith("\n") else "-")
    indicator = str(_INDENT) if text.startswith(" ") else ""
    yield "|" + indicator + chomp
    body = text[:-1] if text.endswith("\n") else text
    for line in body.split("\n"):
        yield (" " * column + line) if line else ""


def _emit_value_after_key(lines: list[str], prefix: str, value: Any, column: int) -> None:
    """Write `value` for a mapping key whose text (``key:``) is `prefix` at `column`."""
    if isinstance(value, dict) and value:
        lines.append(prefix)
        _emit_mapping(lines, value, _next_indent(column), first_prefix=None)
    elif isinstance(value, list) and value:
        lines.append(prefix)
        _emit_sequence(lines, value, _next_indent(column))
    elif isinstance(value, dict):
        lines.append(prefix + " {}")
    elif isinstance(value, list):
        lines.append(prefix + " []")
    elif _is_block_text(value):
        block = list(_block_lines(value, _next_indent(column)))
        lines.append(prefix + " " + block[0])
        lines.extend(block[1:])
    else:
        lines.append(prefix + " " + _scalar(value))


def _emit_mapping(lines: list[str], mapping: dict[str, Any], column: int, first_prefix: str | None) -> None:
    for index, (key, value) in enumerate(mapping.items()):
        lead = first_prefix if (index == 0 and first_prefix is not None) else " " * column
        _emit_value_after_key(lines, f"{lead}{_key(key)}:", value, column)


def _key(key: Any) -> str:
    return _scalar(key)


def _emit_sequence(lines: list[str], items: list[Any], column: int) -> None:
    dash = " " * column + "- "
    for item in items:
        if isinstance(item, dict) and item:
            _emit_mapping(lines, item, column + 2, first_prefix=dash)
        elif isinstance(item, list) and item:
            # go-yaml writes nested sequences inline after the dash ("- - a").
            nested: list[str] = []
            _emit_sequence(nested, item, column + 2)
            nested[0] = dash + nested[0].lstrip()
            lines.extend(nested)
        elif isinstance(item, dict):
            lines.append(dash + "{}")
        elif isinstance(item, list):
            lines.append(dash + "[]")
        elif _is_block_text(item):
            block = list(_block_lines(item, column + 2))
            lines.append(dash + block[0])
            lines.extend(block[1:])
        else:
            lines.append(dash + _scalar(item))


def dump(value: Any) -> str:
    """One YAML document, as go-yaml's Marshal with indent 4 writes it."""
    lines: list[str] = []
    if isinstance(value, dict) and value:
        _emit_mapping(lines, value, 0, first_prefix=None)
    elif isinstance(value, list) and value:
        _emit_sequence(lines, value, 0)
    elif isinstance(value, dict):
        lines.append("{}")
    elif isinstance(value, list):
        lines.append("[]")
    else:
        lines.append(_scalar(value))
    return "\n".join(lines) + "\n"


def dump_all(documents: list[Any]) -> str:
    """Documents joined as Talos joins them: ``---`` between, none leading or trailing."""
    return "---\n".join(dump(doc) for doc in documents)
