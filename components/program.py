"""The whole stack: settings → machines (Proxmox, Vultr, existing) → Talos layer → Cilium → outputs."""

from __future__ import annotations

import gc
from typing import Any

import pulumi

from .cilium import Cilium, prepared_for_cilium
from .cluster import TalosCluster
from .machines import Machines, existing_machines
from .proxmox import ProxmoxMachines, check_proxmox_nodes, check_shared_proxmox
from .stack import load_settings
from .talos.definition.model import ClusterDefinition
from .talos.definition.render import node_image
from .talos_backup import TalosBackup, prepared_for_talos_backup
from .vultr import VultrMachines


def build() -> dict[str, Any]:
    """Create every resource of the current stack; return the stack outputs."""
    settings = load_settings()
    definition = settings.definition
    if settings.cilium is not None:
        definition = prepared_for_cilium(definition)
    backups = settings.options.etcd_backups
    scheduled = backups is not None and bool(backups.schedule)
    if scheduled:
        definition = prepared_for_talos_backup(definition)  # Talos API access for its role, per version
    if settings.proxmox is not None:
        check_proxmox_nodes(definition)  # before any resource exists
        check_shared_proxmox(definition, settings.proxmox)
    machines = existing_machines(definition)
    if settings.proxmox is not None:
        machines = machines.merge(ProxmoxMachines("proxmox", definition, settings.proxmox).machines)
    if settings.vultr is not None:
        machines = machines.merge(VultrMachines("vultr", definition, settings.vultr).machines)
    cluster = TalosCluster("talos", definition, machines.addresses, machines=machines.resources,
                           imported_secrets=settings.imported_secrets, options=settings.options)
    if settings.cilium is not None:
        cilium = Cilium("cilium", cluster.kubeconfig, settings.cilium, len(definition.nodes), after=[cluster.health])
        cluster.ready_after([cilium])  # nodes turn Ready once the CNI runs: the last health stage
    backup = [TalosBackup("talos-backup", cluster.kubeconfig, backups, definition.cluster_name,
                          after=[cluster.health])] if scheduled and backups is not None else []
    cluster.add_destroy_guard(also=backup)  # last: it depends on everything above (protectSecrets, removals)
    return _outputs(cluster, machines, definition)


def _outputs(cluster: TalosCluster, machines: Machines, definition: ClusterDefinition) -> dict[str, Any]:
    return {
        "talosconfig": cluster.talosconfig,
        "kubeconfig": cluster.kubeconfig,
        "nodes": cluster.nodes,
        "schematicIds": {node.hostname: node_image(definition, node).schematic_id for node in definition.nodes},
        "images": machines.images,
    }


def freeze_imports() -> None:
    """The provider SDKs are large and live as long as the process: moving them out of the garbage
    collector's reach makes a preview about 0.4 s faster (benchmarks/program.py). Collection, off while
    they were imported (__main__.py), is back on from here."""
    gc.freeze()
    gc.enable()


def main() -> None:
    """What `pulumi up` runs (__main__.py)."""
    freeze_imports()
    for name, value in build().items():
        pulumi.export(name, value)
