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
from typing import Any

import yaml

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


def load_all(text: str | bytes) -> list[Any]:
    """Parse a multi-document stream; empty documents are dropped, as Talos does."""
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]


def load(text: str | bytes) -> Any:
    return yaml.load(text, Loader=_Loader)


def describe_error(error: Exception) -> str:
    """Where and why YAML failed to parse, without quoting the offending line (it may hold a secret)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem or error.context}"
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
