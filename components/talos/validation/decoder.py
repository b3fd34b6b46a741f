"""Talos's config decoder (siderolabs/talos pkg/machinery/config/configloader/internal/decoder/decoder.go,
v1.14.0-rc.1 = v1.12.9): what makes Talos refuse to load a config before any validation runs.

Two entry points: ``load_text`` reads a machine config file as talosctl does (YAML errors, documents that are
not mappings, each document's line), and the DECODE checks below refuse, on decoded documents, what
decode() refuses: duplicate documents, a missing kind or apiVersion, a kind Talos does not register,
unknown keys (xyaml.CheckUnknownKeys) and values of the wrong type (strict.py's field tables per release).
Loading stops at the first of these, as Talos's does.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from .. import yamlio
from ..errors import shorten
from ..schema_fields import KINDS
from ..strict import document_problems
from ..versions import Contract
from . import goparse
from .registry import Context, Document, Phase, config_check, not_applicable, text_check
from .values import dig, quote

_LEGACY_KEYS = ("machine", "cluster", "debug", "persist")  # ManifestDeprecatedKey*: the v1alpha1 document

not_applicable("unreachable: go-yaml's Decoder.Decode into a yaml.Node always yields a DocumentNode", "R002")
not_applicable("patches only: the decoder processes `$patch: delete` with WithAllowPatchDelete, which only "
               "configpatcher.LoadPatch passes (patching is components/talos/patching/strategic.py); in a config "
               "to validate or apply, `$patch` is an unknown key (R006)", "R003")
not_applicable("unreachable: a mapping node's Content holds key/value pairs, so len(Content) < i+1 never holds for "
               "a key at index i", "R007", "R009")
not_applicable("unreachable: the pattern (>=|<=|>|<|==)?\\b*(.*)$ matches every string, so FindStringSubmatch "
               "always has three parts", "R442")
not_applicable("unreachable: the operator group of (>=|<=|>|<|==)?\\b*(.*)$ captures only one of the accepted "
               "operators or nothing", "R443")


@dataclass
class LoadedText:
    """A machine config file as the decoder sees it: its documents with their lines, or the error."""

    documents: list[Document] = field(default_factory=list)
    lines: dict[int, int] = field(default_factory=dict)  # id(document) -> line of its first key
    error: str = ""
    rule: str = ""


@text_check("R001", "R004")
def load_text(text: str | bytes) -> LoadedText:
    """Parse a multi-document YAML stream as the decoder does: null documents are skipped, a document that
    is not a mapping is an error (R004), a YAML error stops everything (R001)."""
    loaded = LoadedText()
    try:
        documents = yamlio.load_all_with_lines(text)  # go-yaml's limits: duplicate keys, aliases, depth, size
    except Exception as error:  # yaml errors carry line/column; a secret in the line is never quoted
        loaded.error, loaded.rule = f"decode error: {yamlio.describe_error(error)}", "R001"
        return loaded
    for document, line in documents:
        if not isinstance(document, dict):
            loaded.error, loaded.rule = f"expected a YAML document at line {line}", "R004"
            return loaded
        loaded.documents.append(document)
        loaded.lines[id(document)] = line
    return loaded


def _scalar(value: Any) -> str:
    """findValue: the scalar's text as written (YAML booleans and numbers included)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _at(document: Document, ctx: Context) -> str:
    line = ctx.lines.get(id(document))
    return f" (line {line})" if line else ""


def _identity(document: Document) -> tuple[str, str, str]:
    """documentID: apiVersion, kind ("v1alpha1" when there is none), name."""
    return _scalar(document.get("apiVersion")), _scalar(document.get("kind")) or "v1alpha1", \
        _scalar(document.get("name"))


def _id(document: Document) -> str:
    """documentID as the decoder prints it, each part cut short (a megabyte name makes no megabyte error)."""
    return "/".join(shorten(part) for part in _identity(document))


@config_check("R005", phase=Phase.DECODE)
def duplicate_documents(ctx: Context) -> None:
    seen: set[tuple[str, str, str]] = set()
    for document in ctx.documents:
        ident = _identity(document)
        if ident in seen:
            ctx.fail("R005", f"duplicate document {_id(document)} is not allowed{_at(document, ctx)}")
            return
        seen.add(ident)


def _decode_error(document: Document, ctx: Context) -> tuple[str, str, tuple[str, ...]] | None:
    """decode(): (rule, error, wrapped rules) for the first reason this document does not decode."""
    version, kind = "", ""
    for key, value in document.items():
        if key == "kind":
            if isinstance(value, (dict, list)):
                return "R008", f"kind decode: yaml: unmarshal errors: cannot unmarshal !!{_yaml_type(value)} into " \
                               "string", ()
            kind = _scalar(value)
        elif key == "apiVersion":
            if isinstance(value, (dict, list)):
                return "R010", f"version decode: yaml: unmarshal errors: cannot unmarshal !!{_yaml_type(value)} " \
                               "into string", ()
            version = _scalar(value)
        elif key in _LEGACY_KEYS:
            version = "v1alpha1"
    if version == "v1alpha1" and kind == "":
        kind = "v1alpha1"
    elif kind == "":
        return "R006", "missing kind", ()
    elif version == "":
        return "R006", "missing apiVersion", ()
    elif kind not in KINDS or KINDS[kind][1] > max(ctx.minor, 6) or version != "v1alpha1":
        # registry.New: every registered kind takes apiVersion v1alpha1 only
        return "R006", f"{quote(kind)} {quote(version)}: not registered{_kind_hint(kind, version, ctx.minor)}", ()
    problems = document_problems(document, Contract(1, ctx.minor))
    unknown = [p for p in problems if "unknown field" in p]
    if unknown:  # xyaml.CheckUnknownKeys
        return "R006", "unknown keys found during decoding: " + "; ".join(unknown), ()
    if kind == "v1alpha1" and (size_error := _disk_size_error(document)):
        return "R444", f"error decoding  to *v1alpha1.Config: {size_error}", ("R011", "R006")
    if problems:  # yaml.v4 Decode into the kind's Go struct
        target = "" if kind == "v1alpha1" else kind  # decode() prints its kind variable: empty for v1alpha1
        shape = "v1alpha1.Config" if kind == "v1alpha1" else KINDS[kind][0]
        return "R011", f"error decoding {target} to *{shape}: yaml: unmarshal errors: " + "; ".join(problems), \
            ("R006",)
    return None


def _disk_size_error(document: Document) -> str | None:
    """InstallDiskSizeMatcher.UnmarshalYAML (v1alpha1_types.go): ``[op]<size>`` with a go-humanize size."""
    size = dig(document, "machine", "install", "diskSelector", "size")
    if size is None or isinstance(size, (dict, list)):
        return None
    condition = _scalar(size).strip()
    operator = next((op for op in (">=", "<=", ">", "<", "==") if condition.startswith(op)), "")
    rest = condition[len(operator):]
    _, error = goparse.parse_bytes(rest.strip())
    return f"failed to parse disk size {rest}: {error}" if error else None


def _kind_hint(kind: str, version: str, minor: int) -> str:
    """Why the kind is not registered: a newer release's kind, a wrong apiVersion, or a likely typo."""
    if kind in KINDS and KINDS[kind][1] > minor:
        return f" (the {kind} document arrived in Talos v1.{KINDS[kind][1]}; this config targets v1.{minor})"
    if kind in KINDS:
        return " (every Talos document takes apiVersion v1alpha1)"
    close = difflib.get_close_matches(kind, [k for k, (_, since) in KINDS.items() if since <= minor], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _yaml_type(value: Any) -> str:
    return "map" if isinstance(value, dict) else "seq"


@config_check("R006", "R008", "R010", "R011", "R444", phase=Phase.DECODE)
def decodable_documents(ctx: Context) -> None:
    for document in ctx.documents:
        found = _decode_error(document, ctx)
        if found:
            rule, error, inner = found
            prefix = f"error decoding document {_id(document)}{_at(document, ctx)}: "
            ctx.fail(rule, prefix + error, inner=("R006",) if rule in ("R008", "R010") else inner)
            return
