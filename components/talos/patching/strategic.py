"""Strategic merge with Talos's semantics (configpatcher/strategic.go and merge/merge.go).

Documents match by ``apiVersion/kind[/name]``; maps merge, lists append except the fields Talos
replaces or matches by key; ``$patch: delete`` removes documents, keys and list items first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..documents import identity, shape_of
from ..errors import PatchError
from ..schema_order import LEGACY_SHAPE

Document = dict[str, Any]
DELETE = "$patch"

# Fields tagged merge:"replace" (paths without list indices), per document shape.
_REPLACED: dict[str, set[str]] = {
    LEGACY_SHAPE: {"cluster.network.podSubnets", "cluster.network.serviceSubnets", "cluster.apiServer.auditPolicy"},
    "network.RuleConfigV1Alpha1": {"ingress", "portSelector.ports"},
    "k8s.KubeNetworkConfigV1Alpha1": {"podSubnets", "serviceSubnets"},
}
# Lists whose items merge by a key field instead of being appended.
_KEYED: dict[str, dict[str, str]] = {
    LEGACY_SHAPE: {
        "machine.network.interfaces": "interface",
        "machine.network.interfaces.vlans": "vlanId",
        "cluster.apiServer.admissionControl": "name",
    },
    "extensions.ServiceConfigV1Alpha1": {"configFiles": "mountPath"},
}


@dataclass
class _Deletion:
    path: list[str]  # keys down to the deleted key, or to the list an item is deleted from
    selector: tuple[str, Any] | None = None  # set for a list item: its first key/value

    @property
    def dotted(self) -> str:
        return _dotted(self.path)


def _dotted(path: list[str]) -> str:
    return ".".join(path)


def _extract_deletions(node: Any, path: list[str], found: list[_Deletion], through_list: bool) -> Any:
    """Remove ``$patch: delete`` markers from `node`, recording what they delete."""
    if isinstance(node, dict):
        cleaned: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(value, dict) and value.get(DELETE) == "delete" and len(value) == 1:
                if through_list:
                    raise PatchError(f"cannot delete an inner key in '{_dotted([*path, key])}'")
                found.append(_Deletion([*path, key]))
                continue
            child = _extract_deletions(value, [*path, key], found, through_list)
            if child in ({}, []) and value not in ({}, []):
                continue  # emptied by marker removal: nothing left to merge
            cleaned[key] = child
        return cleaned
    if isinstance(node, list):
        kept: list[Any] = []
        for item in node:
            if isinstance(item, dict) and item.get(DELETE) == "delete":
                selector = next(((k, v) for k, v in item.items() if k != DELETE), None)
                if selector is None:
                    raise PatchError(f"no key:val found in sequence node for path {_dotted(path)}")
                found.append(_Deletion([*path], selector))
                continue
            kept.append(_extract_deletions(item, path, found, True))
        return kept
    return node


def _lookup_failed(path: str) -> str:
    return f"failed to delete path '{path}': lookup failed"


def _apply_deletion(document: Document, deletion: _Deletion) -> str | None:
    """Apply one deletion; returns the failure reason, or None."""
    keys = deletion.path
    parents: list[tuple[Any, str]] = []
    node: Any = document
    for key in keys[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict | list):
            return _lookup_failed(deletion.dotted)
        parents.append((node, key))
        node = node[key]
    last = keys[-1]
    if not isinstance(node, dict) or last not in node:
        return _lookup_failed(deletion.dotted)
    if deletion.selector is None:
        del node[last]
        container, container_key = node, None
    else:
        items = node[last]
        field, wanted = deletion.selector
        index = next((i for i, item in enumerate(items if isinstance(items, list) else [])
                      if isinstance(item, dict) and field in item and str(item[field]) == str(wanted)), None)
        if index is None:
            return _lookup_failed(deletion.dotted)
        del items[index]
        container, container_key = items, last
    # Talos's encoder omits maps and lists left empty.
    if container_key is not None and not container:
        del node[container_key]
    elif container_key is None and node == {} and parents:
        parent, key = parents[-1]
        del parent[key]
    return None


def _apply_deletions(documents: list[Document], target_id: str, deletions: list[_Deletion]) -> None:
    target = next((doc for doc in documents if identity(doc) == target_id), None)
    for deletion in deletions:
        reason = _lookup_failed(deletion.dotted) if target is None else _apply_deletion(target, deletion)
        if reason is None:
            continue
        api_version, _, rest = target_id.partition("/")
        kind, _, name = rest.partition("/")
        if name:
            raise PatchError(f"named patch delete: document {api_version}/{kind}: {reason}")
        raise PatchError(
            f"patch delete: path '{deletion.dotted}' in document "
            f"'{api_version}/{kind}': {reason}"
        )


# ------------------------------------------------------------------ merge


def _is_zero(value: Any) -> bool:
    return value == "" or (isinstance(value, int) and not isinstance(value, bool) and value == 0)


def _same_item(left: Any, right: Any, key_field: str) -> bool:
    if not isinstance(left, dict) or not isinstance(right, dict):
        return False
    if key_field == "interface" and "deviceSelector" in right and "interface" not in right:
        return bool(left.get("deviceSelector") == right["deviceSelector"])
    return bool(key_field in left and key_field in right and str(left[key_field]) == str(right[key_field]))


def _merge(target: dict[str, Any], patch: dict[str, Any], path: list[str], shape: str | None) -> None:
    replaced = _REPLACED.get(shape or "", set())
    keyed = _KEYED.get(shape or "", {})
    for key, value in patch.items():
        field_path = _dotted([*path, key])
        current = target.get(key)
        if value is None:
            continue
        if current is None or field_path in replaced or (key == "extraArgs" and not isinstance(current, dict)):
            target[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(current, dict):
            if key == "extraArgs":
                current.update(copy.deepcopy(value))  # each argument replaced as a whole
            else:
                _merge(current, value, [*path, key], shape)
        elif isinstance(value, list) and isinstance(current, list):
            if field_path in keyed:
                _merge_keyed(current, value, [*path, key], keyed[field_path], shape)
            else:
                current.extend(copy.deepcopy(value))
        elif not _is_zero(value):
            target[key] = copy.deepcopy(value)


def _merge_keyed(items: list[Any], patch_items: list[Any], path: list[str], key_field: str,
                 shape: str | None) -> None:
    for patch_item in patch_items:
        match = next((item for item in items if _same_item(item, patch_item, key_field)), None)
        if match is None:
            items.append(copy.deepcopy(patch_item))
        else:
            _merge(match, patch_item, path, shape)


def _targets_legacy(patch_document: Document) -> bool:
    # a partial legacy patch may hold only `machine:`; any kind-less document patches v1alpha1
    return "kind" not in patch_document


def apply_strategic(documents: list[Document], patch_documents: list[Document]) -> list[Document]:
    """Apply one strategic merge patch (possibly multi-document) to a copy of `documents`."""
    result = copy.deepcopy(documents)
    # the legacy document's deletions run first, then the other documents in file order
    ordered_patch = sorted(patch_documents, key=lambda doc: not _targets_legacy(doc))
    for patch_document in ordered_patch:
        legacy = _targets_legacy(patch_document)
        target_id = "/v1alpha1" if legacy else identity(patch_document)
        if not legacy and patch_document.get(DELETE) == "delete":
            if not patch_document.get("apiVersion") or not patch_document.get("kind"):
                raise PatchError("missing apiVersion in document for which $patch: delete is used")
            result = [doc for doc in result if identity(doc) != target_id]
            continue
        deletions: list[_Deletion] = []
        cleaned = _extract_deletions(patch_document, [], deletions, through_list=False)
        _apply_deletions(result, target_id, deletions)
        if legacy and set(cleaned) <= {"version"}:
            continue
        target = next((doc for doc in result if identity(doc) == target_id), None)
        if target is None:
            result.append(copy.deepcopy(cleaned))
        else:
            _merge(target, cleaned, [], shape_of(target))
    return result
