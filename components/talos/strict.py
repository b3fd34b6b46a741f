"""Strict checks of config documents, as Talos's decoder does them, per Talos version.

siderolabs/talos pkg/machinery/config/configloader/internal/decoder: each document is decoded with
yaml.v3 ``KnownFields(true)`` into the Go struct of its kind, so an unknown key or a value of the
wrong shape is an error, and a kind the release does not know is an error. The field sets come from
the schemas (``schema_fields.py``); a field is known from the first release whose schema has it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .errors import excerpt
from .schema_fields import FIELDS, KINDS, LEGACY_SHAPE
from .versions import Contract

Document = dict[str, Any]
Table = Mapping[str, Mapping[str, tuple[str, int]]]
_SCALAR_NAMES = {"s": "a string", "i": "an integer", "b": "true or false", "n": "a number"}


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


_FIELDS_AT: dict[tuple[int, str, int], dict[str, str]] = {}


def fields_at(shape: str, minor: int, table: Table = FIELDS) -> dict[str, str]:
    """The fields of ``shape`` that Talos 1.<minor> decodes, with their value types (memoized: the
    tables are constant and every node's render walks the same shapes)."""
    key = (id(table), shape, minor)
    known = _FIELDS_AT.get(key)
    if known is None:
        known = {field: kind for field, (kind, since) in table.get(shape, {}).items() if since <= minor}
        _FIELDS_AT[key] = known
    return known


def unknown_keys(mapping: dict[str, Any], known: list[str] | tuple[str, ...], path: str) -> list[str]:
    """One 'path.key: unknown field; did you mean ...' line per key not in ``known``."""
    return [f"{path}.{key}: unknown field{_suggest(str(key), list(known))}" if path else
            f"{key}: unknown field{_suggest(str(key), list(known))}"
            for key in mapping if key not in known]


def check_value(value: Any, kind: str, minor: int, path: str, problems: list[str], table: Table = FIELDS) -> None:
    """Append a line to ``problems`` for each key or value Talos 1.<minor> would refuse."""
    if value is None or kind in ("?", ""):
        return
    if kind.startswith("["):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {_describe(value)}")
            return
        for index, item in enumerate(value):
            check_value(item, kind[1:], minor, f"{path}[{index}]", problems, table)
    elif kind.startswith("@"):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping, got {_describe(value)}")
            return
        check_mapping(value, kind[1:], minor, path, problems, table)
    elif kind == "m":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping, got {_describe(value)}")
    elif kind[:1] in ("e", "E") and not isinstance(value, (dict, list)):
        allowed = kind[1:].split("|")
        # "E": an enumer type, whose UnmarshalText also takes the lower-case form of a name
        given = str(value).lower() if kind[0] == "E" else str(value)
        if value != "" and given not in (allowed if kind[0] == "e" else [a.lower() for a in allowed]):
            problems.append(f"{path}: expected one of {', '.join(allowed)}, got {excerpt(value)}")
    elif isinstance(value, (dict, list)) or not _scalar_fits(value, kind):
        problems.append(f"{path}: expected {_SCALAR_NAMES.get(kind, kind)}, got {_describe(value)}")


def check_mapping(mapping: dict[str, Any], shape: str, minor: int, path: str, problems: list[str],
                  table: Table = FIELDS) -> None:
    known = fields_at(shape, minor, table)
    if any(key not in known for key in mapping):
        problems += unknown_keys(mapping, tuple(known), path)
    for key, value in mapping.items():
        # a document's kind and apiVersion are checked against the kinds Talos registers, not the schema's enum
        if key in known and not (path == "" and key in ("kind", "apiVersion")):
            check_value(value, known[key], minor, f"{path}.{key}" if path else str(key), problems, table)


def _scalar_fits(value: Any, kind: str) -> bool:
    # yaml.v3 decodes any scalar into a Go string; numbers and booleans must be the YAML type
    if kind == "s":
        return True
    if kind == "b":
        return isinstance(value, bool)
    if kind == "i":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "n":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return excerpt(value)  # a peer's megabyte value makes no megabyte error


def document_problems(document: Document, contract: Contract) -> list[str]:
    """What Talos ``contract`` would refuse in one document (empty when it decodes)."""
    # no schema predates v1.6: older releases are checked against v1.6's field set
    minor = max(contract.minor, 6) if contract.major == 1 else 99
    problems: list[str] = []
    if "kind" not in document:
        check_mapping(document, LEGACY_SHAPE, minor, "", problems)
        return problems
    kind = str(document.get("kind"))
    entry = KINDS.get(kind)
    if entry is None or entry[1] > minor:
        known = [name for name, (_, since) in KINDS.items() if since <= minor]
        problems.append(f"kind {kind}: not a config document Talos {contract} knows{_suggest(kind, known)}")
        return problems
    check_mapping(document, entry[0], minor, "", problems)
    return problems

