"""RFC 6902 patches with the semantics of github.com/evanphx/json-patch, which Talos uses.

Python's ``jsonpatch`` refuses ``replace`` on a missing object key; evanphx's root package
accepts it like ``add``. Configs patched with talosctl depend on that (the seed article's
``replace /machine/network/kubespan``), so we do the same.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import jsonpointer

from ..errors import PatchError

MULTI_DOCUMENT_REFUSAL = "JSON6902 patches are not supported for multi-document machine configuration"


def _parent_is_object_missing_key(document: Any, path: str) -> bool:
    parent_path, _, key = path.rpartition("/")
    try:
        parent = jsonpointer.resolve_pointer(document, parent_path) if parent_path else document
    except jsonpointer.JsonPointerException:
        return False
    return isinstance(parent, dict) and jsonpointer.unescape(key) not in parent


def _reason(error: Exception) -> str:
    """Why an operation failed, never quoting the document: jsonpointer's message embeds the whole config
    (secrets included) and a failed test quotes both values."""
    if isinstance(error, jsonpointer.JsonPointerException):
        return "doc is missing path: missing value"  # evanphx/json-patch ErrMissing wording
    if isinstance(error, jsonpatch.JsonPatchTestFailed):
        return "testing value failed"  # evanphx/json-patch: "testing value %s failed"
    return str(error).split(" in {")[0].split(" in [")[0][:100]


def apply_operations(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    # a JSON round trip gives the patch what Talos's YAML->JSON conversion gives it
    current: Any = json.loads(json.dumps(document))
    for operation in operations:
        step = copy.deepcopy(operation)
        if step.get("op") == "replace" and _parent_is_object_missing_key(current, str(step.get("path"))):
            step["op"] = "add"
        try:
            current = jsonpatch.apply_patch(current, [step])
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            raise PatchError(
                f"failure applying rfc6902 patches to talos machine config: "
                f"{str(operation.get('op'))[:20]} {str(operation.get('path'))[:100]}: {_reason(error)}"
            ) from None
    if not isinstance(current, dict):
        raise PatchError("talos machine config is not a yaml document")
    return current
