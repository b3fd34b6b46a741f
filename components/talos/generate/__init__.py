"""Machine-config generation per version contract (Talos's ``generate`` package, in Python).

    documents = generate_config(GenerateInput(...), "controlplane")
"""

from __future__ import annotations

from typing import Any

from .legacy import legacy_document
from .multidoc import network_documents, typed_config
from .options import CNI, ROLES, GenerateInput, Role

Document = dict[str, Any]

__all__ = ["CNI", "ROLES", "GenerateInput", "Role", "generate_config"]


def generate_config(gen: GenerateInput, role: Role) -> list[Document]:
    """The documents ``talosctl gen config`` writes for `role`, before any patch."""
    if gen.contract.multidoc_kubernetes:
        return typed_config(gen, role)
    documents = [legacy_document(gen, role)]
    if gen.contract.multidoc_network_config:
        documents += network_documents(gen)
    return documents
