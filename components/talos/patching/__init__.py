"""Configuration patches (Talos's ``configpatcher``): load, then apply in order."""

from __future__ import annotations

from typing import Any

from ..errors import PatchError
from .load import JSONPatch, Patch, StrategicPatch, load_patches, parse_patch
from .rfc6902 import MULTI_DOCUMENT_REFUSAL, apply_operations
from .strategic import apply_strategic

Document = dict[str, Any]

__all__ = ["JSONPatch", "Patch", "StrategicPatch", "apply_patches", "load_patches", "parse_patch"]


def apply_patches(documents: list[Document], patches: list[Patch]) -> list[Document]:
    """Apply `patches` in order; errors name the patch that failed."""
    for patch in patches:
        try:
            if isinstance(patch, StrategicPatch):
                documents = apply_strategic(documents, patch.documents, patch.lines)
            elif patch.operations:
                if len(documents) != 1:
                    raise PatchError(MULTI_DOCUMENT_REFUSAL)
                documents = [apply_operations(documents[0], patch.operations)]
        except PatchError as error:
            raise PatchError(f"{patch.source}: {error}") from None
    return documents
