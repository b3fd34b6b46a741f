"""Talos config documents as plain data: identity, Talos's key order, and its encoder defaults.

A machine config is a list of documents (dicts). The legacy ``v1alpha1`` document has no
``kind``; every other document has ``apiVersion``/``kind`` and sometimes ``name``.
"""

from __future__ import annotations

import functools
from typing import Any

from . import yamlio
from .errors import ConfigError
from .schema_order import KINDS, LEGACY_SHAPE, SHAPES

Document = dict[str, Any]
LEGACY_KEYS = ("version", "machine", "cluster", "debug", "persist")


def is_legacy(document: Document) -> bool:
    return "kind" not in document and any(key in document for key in LEGACY_KEYS)


def identity(document: Document) -> str:
    """``apiVersion/kind[/name]``; the legacy document is ``/v1alpha1`` as in Talos's errors."""
    if is_legacy(document):
        return "/v1alpha1"
    ident = f"{document.get('apiVersion', '')}/{document.get('kind', '')}"
    return f"{ident}/{document['name']}" if "name" in document else ident


def shape_of(document: Document) -> str | None:
    return LEGACY_SHAPE if is_legacy(document) else KINDS.get(str(document.get("kind")))


# ------------------------------------------------------------------ key order


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml's keyList.Less for string keys: natural order with digit runs compared by value."""
    ar, br = list(a), list(b)
    digits = False
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            digits = ar[i].isdigit()
            continue
        a_letter, b_letter = ar[i].isalpha(), br[i].isalpha()
        if a_letter and b_letter:
            return ar[i] < br[i]
        if a_letter or b_letter:
            return a_letter if digits else b_letter
        a_num = b_num = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdigit():
                if ar[j] != "0":
                    a_num = b_num = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            a_num = a_num * 10 + int(ar[ai])
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            b_num = b_num * 10 + int(br[bi])
            bi += 1
        if a_num != b_num:
            return a_num < b_num
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


_go_sort_key = functools.cmp_to_key(lambda a, b: -1 if _go_key_less(str(a), str(b)) else
                                    (1 if _go_key_less(str(b), str(a)) else 0))


def _order(value: Any, shape: str | None) -> Any:
    if isinstance(value, list):
        return [_order(item, shape) for item in value]
    if not isinstance(value, dict):
        return value
    fields = SHAPES.get(shape) if shape else None
    if fields is None:
        # a Go map or free-form (Unstructured) content: sorted keys
        return {key: _order(value[key], None) for key in sorted(value, key=_go_sort_key)}
    ordered: dict[str, Any] = {}
    for field, child in fields:
        if field in value:
            ordered[field] = _order(value[field], child)
    for key in value:
        if key not in ordered:
            ordered[key] = _order(value[key], None)
    return ordered


def ordered(document: Document) -> Document:
    """The document with keys in Talos's struct order (maps sorted), as Talos's encoder writes it."""
    result = _order(document, shape_of(document))
    assert isinstance(result, dict)
    return result


def with_encoder_defaults(document: Document) -> Document:
    """Add the fields Talos's encoder always writes for the legacy document (no omitempty)."""
    if not is_legacy(document):
        return document
    _trim_inline_manifests(document)
    machine = document.get("machine")
    if isinstance(machine, dict):
        machine.setdefault("type", "")
        machine.setdefault("token", "")
        machine.setdefault("certSANs", [])
        network = machine.get("network")
        if isinstance(network, dict):
            for interface in network.get("interfaces") or []:
                for vlan in (interface or {}).get("vlans") or []:
                    if isinstance(vlan, dict):
                        vlan.setdefault("routes", [])
    document.setdefault("cluster", None)
    return document


def sort_legacy_first(documents: list[Document]) -> list[Document]:
    return [doc for doc in documents if is_legacy(doc)] + [doc for doc in documents if not is_legacy(doc)]


def encode(documents: list[Document]) -> str:
    """Talos's encoder (comments disabled): legacy document first, struct key order, 4-space YAML."""
    return yamlio.dump_all([ordered(with_encoder_defaults(doc)) for doc in sort_legacy_first(documents)])


def decode(text: str | bytes, source: str) -> list[Document]:
    """Parse a machine config stream; every document must be a mapping."""
    try:
        documents = yamlio.load_all(text)
    except Exception as error:  # yaml errors carry line/column
        raise ConfigError(f"{source}: not valid YAML: {yamlio.describe_error(error)}") from None
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise ConfigError(
                f"{source}: document {index + 1} is a {type(document).__name__}; expected a mapping"
            )
        _trim_inline_manifests(document)
    return documents


def _typed_or_legacy(documents: list[Document], kind: str, typed_path: tuple[str, ...],
                     legacy_path: tuple[str, ...]) -> str:
    """A value from the typed document of `kind` when the config has one, else from the v1alpha1 document:
    where Talos v1.14 reads it (stdpatches/guess.go: a config with the document uses it)."""
    typed = next((doc for doc in documents if doc.get("kind") == kind), None)
    node: Any = typed if typed is not None else next((doc for doc in documents if is_legacy(doc)), {})
    for key in typed_path if typed is not None else legacy_path:
        node = node.get(key) if isinstance(node, dict) else None
    return str(node or "")


def install_image(documents: list[Document]) -> str:
    """The installer image: ``UnattendedInstallConfig.installer.image`` (v1.14), else ``machine.install.image``
    ("" when there is none)."""
    return _typed_or_legacy(documents, "UnattendedInstallConfig", ("installer", "image"),
                            ("machine", "install", "image"))


def kubelet_image(documents: list[Document]) -> str:
    """The kubelet image: ``KubeletConfig.image`` (v1.14), else ``machine.kubelet.image`` ("" when none)."""
    return _typed_or_legacy(documents, "KubeletConfig", ("image",), ("machine", "kubelet", "image"))


def image_tag(image: str) -> str:
    """The tag of an image reference: ``factory.talos.dev/installer/<id>:v1.13.9`` → v1.13.9 ("" if none)."""
    name = image.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[-1] if ":" in name else ""


def kubespan_enabled(documents: list[Document]) -> bool:
    """KubeSpan on: a ``KubeSpanConfig`` document (v1.12+) or ``machine.network.kubespan`` (v1alpha1)."""
    for document in documents:
        if is_legacy(document):
            network = (document.get("machine") or {}).get("network") or {}
            if (network.get("kubespan") or {}).get("enabled"):
                return True
        elif document.get("kind") == "KubeSpanConfig" and document.get("enabled"):
            return True
    return False


def _trim_inline_manifests(document: Document) -> None:
    # Talos strips leading tab/LF/VT/FF/CR from inline manifests on every parse.
    cluster = document.get("cluster") if is_legacy(document) else None
    if isinstance(cluster, dict):
        for manifest in cluster.get("inlineManifests") or []:
            if isinstance(manifest, dict) and isinstance(manifest.get("contents"), str):
                manifest["contents"] = manifest["contents"].lstrip("\t\n\x0b\x0c\r")
