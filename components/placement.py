"""Stacks sharing one Proxmox or one Vultr account: what each stack's machines are called and tagged, and the
check that explicit Proxmox VM ids do not clash with another stack's before anything is created.

Names, tags and image file names carry the stack name (``pulumi.get_stack()``), so two stacks never fight over
one object and destroying one stack deletes only its own images. VM ids are unique across a Proxmox cluster and
are either left to Proxmox (``vmId`` omitted: the next free id) or set in the definition; explicit ones are
compared with those of every other ``Pulumi.<stack>.yaml`` of this project that names the same endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .talos.definition.model import ClusterDefinition
from .talos.errors import ConfigError
from .talos.imagefactory import FactoryImage


def stack_slug(stack: str) -> str:
    """The stack name as Proxmox VM names (DNS names), tags ([a-z0-9_+.-]) and file names accept it."""
    slug = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")
    return slug or "stack"


def stack_tag(stack: str) -> str:
    return f"stack-{stack_slug(stack)}"


def vm_name(stack: str, hostname: str) -> str:
    return f"{stack_slug(stack)}-{hostname}"


def iso_file_name(stack: str, image: FactoryImage) -> str:
    return (f"talos-{stack_slug(stack)}-{image.talos_version}-{image.schematic_id[:12]}-{image.platform}-"
            f"{image.arch}.iso")


def same_endpoint(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


@dataclass(frozen=True)
class VmIdUse:
    stack: str
    source: str  # the definition file, as its stack file names it
    where: str  # nodes[i] (hostname)


def explicit_vm_ids(definition: ClusterDefinition) -> dict[int, str]:
    """vmId → nodes[i] (hostname); two nodes of one definition with one id are refused."""
    seen: dict[int, str] = {}
    for node in definition.nodes:
        if node.proxmox is None or node.proxmox.vm_id is None:
            continue
        where = f"nodes[{node.index}] ({node.hostname})"
        if node.proxmox.vm_id in seen:
            raise ConfigError(f"{definition.source}: {where}.proxmox.vmId {node.proxmox.vm_id} is also the vmId of "
                              f"{seen[node.proxmox.vm_id]}; VM ids are unique across a Proxmox cluster")
        seen[node.proxmox.vm_id] = where
    return seen


def other_stacks_vm_ids(root: Path, stack: str, endpoint: str) -> dict[int, VmIdUse]:
    """Explicit vmIds of the project's other stacks on the same Proxmox endpoint, read from their stack files.

    A stack file whose definition cannot be read here is left to that stack's own preview, which reports it."""
    uses: dict[int, VmIdUse] = {}
    for stack_file in sorted(root.glob("Pulumi.*.yaml")):
        other = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = _mapping(_read_yaml(stack_file).get("config"))
        other_endpoint, path = config.get("proxmoxve:endpoint"), config.get("talos-cluster:definition")
        if other == stack or not isinstance(other_endpoint, str) or not isinstance(path, str):
            continue
        if not same_endpoint(other_endpoint, endpoint):
            continue
        nodes = _mapping(_read_yaml(root / path)).get("nodes")
        for index, node in enumerate(nodes if isinstance(nodes, list) else []):
            node = _mapping(node)
            vm_id = _mapping(node.get("proxmox")).get("vmId")
            if isinstance(vm_id, int) and not isinstance(vm_id, bool):
                uses.setdefault(vm_id, VmIdUse(other, path, f"nodes[{index}] ({node.get('hostname')})"))
    return uses


def check_vm_ids(definition: ClusterDefinition, root: Path, stack: str, endpoint: str) -> None:
    """Refuse an explicit vmId that another stack on the same Proxmox already claims."""
    others = other_stacks_vm_ids(root, stack, endpoint)
    for vm_id, where in explicit_vm_ids(definition).items():
        if vm_id in others:
            use = others[vm_id]
            raise ConfigError(
                f"{definition.source}: {where}.proxmox.vmId {vm_id} is also used by stack {use.stack} ({use.source}: "
                f"{use.where}) on the same Proxmox ({endpoint}); choose another vmId, or omit it and Proxmox picks "
                "the next free one")


# libyaml's loader where PyYAML has it (the same safe semantics, ~10x faster than the pure-Python one: reading
# the other stacks' files was a fifth of the program's run time).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError):
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
