"""Loading patches like ``talosctl --config-patch``: ``@file``, bare file names, inline YAML or JSON.

Detection follows Talos's configpatcher/load.go: a strategic merge patch if the text parses as
config documents, else an RFC 6902 patch (JSON, then a YAML list of operations).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import PatchError

JSON_OPS = ("add", "remove", "replace", "move", "copy", "test")


@dataclass
class StrategicPatch:
    documents: list[dict[str, Any]]
    source: str
    lines: list[int] | None = None  # each document's first line in the patch's text, when read from one


@dataclass
class JSONPatch:
    operations: list[dict[str, Any]]
    source: str
    sources: list[str] = field(default_factory=list)


Patch = StrategicPatch | JSONPatch


def _is_file_reference(text: str) -> bool:
    return text.startswith("@") or (
        "\n" not in text and " " not in text and not text.startswith(("[", "{")) and text != ""
    )


def _read(reference: str, base_dir: Path | None) -> tuple[str, str]:
    name = reference[1:] if reference.startswith("@") else reference
    path = Path(name) if base_dir is None or Path(name).is_absolute() else base_dir / name
    try:
        return yamlio.read_text(path), str(path)
    except OSError as error:
        raise PatchError(f"patch {reference[:60]!r}: cannot read {path}: {error.strerror}") from None
    except yamlio.StrictYAMLError as error:
        raise PatchError(f"patch {reference[:60]!r}: {path}: {error}") from None


def _validate_operations(operations: Any, source: str) -> list[dict[str, Any]]:
    if not isinstance(operations, list):
        raise PatchError(f"{source}: expected a list of JSON patch operations")
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise PatchError(f"{source}: operation {index}: expected a mapping with op and path")
        if operation.get("op") not in JSON_OPS:
            raise PatchError(
                f"{source}: operation {index}: unknown op {operation.get('op')!r}; expected one of "
                + ", ".join(JSON_OPS)
            )
        path = operation.get("path")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise PatchError(
                f"{source}: operation {index}: path {path!r} must be a JSON pointer such as /machine/network"
            )
        if operation["op"] in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"{source}: operation {index}: {operation['op']} needs a value")
        if operation["op"] in ("move", "copy") and not isinstance(operation.get("from"), str):
            raise PatchError(f"{source}: operation {index}: {operation['op']} needs a from pointer")
    return operations


def parse_patch(text: str, source: str) -> Patch:
    """One patch from its text."""
    if text.strip() == "":
        return JSONPatch([], source, [source])
    strategic_error: str
    try:
        numbered = yamlio.load_all_with_lines(text)
        documents = [document for document, _ in numbered]
        if documents and all(isinstance(doc, dict) for doc in documents):
            return StrategicPatch(documents, source, [line for _, line in numbered])
        strategic_error = "expected one or more YAML mappings (config documents)"
    except Exception as error:
        strategic_error = yamlio.describe_error(error)
    json_error: str
    try:
        return JSONPatch(_validate_operations(json.loads(text), source), source, [source])
    except PatchError:
        raise
    except ValueError as error:
        json_error = str(error)
    try:
        operations = yamlio.load(text)
    except Exception:
        operations = None
    if isinstance(operations, list) and all(isinstance(item, dict) for item in operations):
        return JSONPatch(_validate_operations(operations, source), source, [source])
    reason = json_error if text.strip().startswith("[") else strategic_error
    raise PatchError(f"{source}: not a strategic merge patch nor a JSON patch: {reason}")


def load_patches(references: list[str], base_dir: Path | None = None, label: str = "patch",
                 transform: Callable[[str, str, bool], str] | None = None) -> list[Patch]:
    """Patches in order; consecutive JSON patches are joined into one, as Talos does.

    ``transform(text, source, from_file)`` rewrites each patch's text first (talhelper: SOPS, templates, env).
    """
    patches: list[Patch] = []
    for index, reference in enumerate(references):
        from_file = _is_file_reference(reference)
        if from_file:
            text, source = _read(reference, base_dir)
        else:
            text, source = reference, f"{label} #{index + 1} (inline)"
        if transform is not None:
            text = transform(text, source, from_file)
        patch = parse_patch(text, source)
        previous = patches[-1] if patches else None
        if isinstance(patch, JSONPatch) and isinstance(previous, JSONPatch):
            previous.operations = previous.operations + patch.operations
            previous.sources.append(source)
            previous.source = ", ".join(previous.sources)
            continue
        patches.append(patch)
    return patches
