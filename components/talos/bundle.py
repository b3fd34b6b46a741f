"""A config bundle: generate per role, then apply patches in talosctl's order (bundle.applyPatches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .documents import encode
from .generate import ROLES, GenerateInput, Role, generate_config
from .patching import Patch, apply_patches

Document = dict[str, Any]


@dataclass
class PatchSet:
    """``--config-patch`` (every role), then ``--config-patch-control-plane``, then ``--config-patch-worker``."""

    common: list[Patch] = field(default_factory=list)
    control_plane: list[Patch] = field(default_factory=list)
    worker: list[Patch] = field(default_factory=list)

    def for_role(self, role: Role) -> list[Patch]:
        return self.common + (self.control_plane if role == "controlplane" else self.worker)


def render_role(gen: GenerateInput, role: Role, patches: PatchSet | None = None) -> list[Document]:
    documents = apply_patches(generate_config(gen, role), (patches or PatchSet()).for_role(role))
    # talosctl loads patches and the result with Talos's decoder and container.New: refuse what they refuse
    from .validation import check_loadable  # the validation rules load only with a render that needs them

    check_loadable(documents, minor=gen.contract.minor, source=f"{role}.yaml")
    return documents


def render_bundle(gen: GenerateInput, patches: PatchSet | None = None) -> dict[Role, str]:
    """The encoded controlplane and worker configs."""
    return {role: encode(render_role(gen, role, patches)) for role in ROLES}
