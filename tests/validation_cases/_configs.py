"""Small configs the case modules start from, as Talos's own tests build them (v1alpha1_validation_test.go:
a machine type, a CA certificate, and the control plane endpoint https://localhost:6443/)."""

from __future__ import annotations

import copy
from typing import Any

Document = dict[str, Any]
CA = {"crt": "Zm9v", "key": "YmFy"}  # "foo", "bar": Talos's tests use such placeholders


def worker(**machine: Any) -> Document:
    return {"version": "v1alpha1", "machine": {"type": "worker", "ca": {"crt": CA["crt"]}, **machine},
            "cluster": {"controlPlane": {"endpoint": "https://localhost:6443/"}}}


def controlplane(**machine: Any) -> Document:
    return {"version": "v1alpha1", "machine": {"type": "controlplane", "ca": dict(CA), **machine},
            "cluster": {"controlPlane": {"endpoint": "https://localhost:6443/"}}}


def with_(document: Document, path: str, value: Any) -> Document:
    """A copy of `document` with the dotted `path` set to `value` (intermediate mappings created)."""
    result = copy.deepcopy(document)
    node = result
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return result


def typed(kind: str, **fields: Any) -> Document:
    return {"apiVersion": "v1alpha1", "kind": kind, **fields}
