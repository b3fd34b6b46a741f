"""Strategic merge patches as Talos applies them (siderolabs/talos pkg/machinery/config/configpatcher/
strategic.go StrategicMerge, v1.14.0-rc.1: the machinery of a current talosctl and of talhelper).

A patch is read as Talos's configloader reads it with patch deletes allowed and no validation: each document's
``$patch: delete`` markers become selectors placed before the rest of that document (deletes.py), and the same
document may appear more than once. Then, in that order, each patch document is merged into the base document
with the same apiVersion/kind/name (gomerge.py: Talos's merge by Go type, ``merge:"replace"`` fields replaced)
or appended; each selector deletes from its document, or drops it, and one for a document that is not there is
skipped. The result must still load (container.New): a patch adding a document that conflicts with another one,
or a second document configuring the same link, is refused in Talos's words.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import PatchError
from . import deletes
from .gomerge import merge
from .merge_table import KINDS, LEGACY, STRUCTS

Document = dict[str, Any]
LEGACY_KEYS = ("version", "machine", "cluster", "debug", "persist")  # decoder.go ManifestDeprecatedKey*


def _is_legacy(document: Document) -> bool:
    """decoder.go decode: no kind, and a v1alpha1 key (a partial legacy patch may hold only ``machine:``)."""
    return "kind" not in document and ("apiVersion" not in document or any(key in document for key in LEGACY_KEYS))


def type_code(document: Document) -> str | None:
    """The Go type of a document (None: a kind this Talos does not register)."""
    return LEGACY if _is_legacy(document) else KINDS.get(str(document.get("kind")))


def document_id(document: Document) -> str:
    """strategic.go documentID: apiVersion/kind, plus /name for a named document type."""
    if _is_legacy(document):
        return "/v1alpha1"
    ident = f"{document.get('apiVersion') or ''}/{document.get('kind') or ''}"
    code = type_code(document)
    named = "name" in STRUCTS.get(code[1:], {}) if code else "name" in document
    return f"{ident}/{'' if document.get('name') is None else document['name']}" if named else ident


def read_patch(documents: list[Document], lines: list[int] | None = None) -> list[deletes.Selector | Document]:
    """A patch's documents as Talos's loader yields them: per document its selectors, then what is left."""
    items: list[deletes.Selector | Document] = []
    for index, original in enumerate(documents):
        document = copy.deepcopy(original)
        try:
            selectors, rest = deletes.extract(document)
        except PatchError as error:
            line = lines[index] if lines and index < len(lines) else index + 1
            raise PatchError(f"error processing patch delete statements at line {line}: {error}") from None
        items += selectors
        if rest is not None:
            items.append(rest)
    return items


def apply_strategic(documents: list[Document], patch_documents: list[Document],
                    lines: list[int] | None = None) -> list[Document]:
    """strategic.go StrategicMerge of one patch into a copy of `documents`, then container.New's checks."""
    result = copy.deepcopy(documents)
    for item in read_patch(patch_documents, lines):
        if isinstance(item, deletes.Selector):
            index = next((i for i, doc in enumerate(result) if document_id(doc) == item.document_id), None)
            if index is None:
                continue  # a delete selector for a document that is not there is skipped
            if not deletes.apply(item, result[index], type_code(result[index]) or "?"):
                del result[index]
            continue
        ident = document_id(item)
        target = next((doc for doc in result if document_id(doc) == ident), None)
        if target is None:
            result.append(copy.deepcopy(item))
            continue
        target_type = type_code(target)
        if target_type is None:  # a kind Talos does not know: its loader refuses it (the decoder check says so)
            target.update(copy.deepcopy(item))
            continue
        merge(target, item, target_type)
    _check_loadable(result)
    return result


def _check_loadable(documents: list[Document]) -> None:
    """strategic.go returns container.New(left...): its refusals (duplicate and conflicting documents, two
    documents configuring one link) in Talos's words. Talos v1.14's rules: the machinery that patches."""
    from ..validation.container import documents_fit_together
    from ..validation.registry import Context, Mode

    context = Context(minor=14, mode=Mode.METAL, documents=documents)
    documents_fit_together(context)
    if context.problems:
        raise PatchError(context.problems[0].message)
